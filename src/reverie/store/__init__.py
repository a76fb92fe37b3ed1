"""Provenance stores: the ``GraphStore`` protocol and how to open the configured one.

Stores are found through the ``reverie.stores`` entry-point group (the same
way a third party would add one); ``[store] kind`` in ``reverie.toml`` picks it.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from reverie.errors import ConfigError
from reverie.settings import Settings
from reverie.store.base import GraphStore, SourceState, StoreStats, WriteResult

__all__ = ["GraphStore", "SourceState", "StoreStats", "WriteResult", "open_store"]


def open_store(settings: Settings) -> GraphStore:
    """Open the store ``settings.store.kind`` names (``embedded`` unless configured)."""
    kind = settings.store.kind
    found = {ep.name: ep for ep in entry_points(group="reverie.stores")}
    if kind not in found:
        installed = ", ".join(sorted(found))
        raise ConfigError(f"[store] kind = {kind!r} is not an installed store ({installed})")
    factory = found[kind].load()
    return factory.from_settings(settings)
