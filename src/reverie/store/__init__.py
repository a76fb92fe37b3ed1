"""Provenance stores: the ``GraphStore`` contract and how to open the configured one.

Stores are found through the ``reverie.stores`` entry-point group (the same
way a third party would add one); ``[store] kind`` in ``reverie.toml`` names
one of them, and :func:`open_store` checks that name when it opens the store.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from reverie.errors import ConfigError
from reverie.settings import CONFIG_NAME, Settings
from reverie.store.base import GraphStore, SourceState, StoreStats, WriteResult

__all__ = [
    "STORE_GROUP",
    "GraphStore",
    "SourceState",
    "StoreStats",
    "WriteResult",
    "open_store",
    "store_kinds",
]

STORE_GROUP = "reverie.stores"


def store_kinds() -> dict[str, EntryPoint]:
    """The registered stores: entry-point name (a ``[store] kind``) -> entry point."""
    return {ep.name: ep for ep in entry_points(group=STORE_GROUP)}


def open_store(settings: Settings) -> GraphStore:
    """Open the store ``settings.store.kind`` names (``embedded`` unless configured).

    A kind that no installed package registers is a :class:`ConfigError` that
    lists the registered kinds.
    """
    kind = settings.store.kind
    found = store_kinds()
    if kind not in found:
        registered = ", ".join(sorted(found)) or "none"
        raise ConfigError(
            f"[store] kind = {kind!r} in {settings.root / CONFIG_NAME} is not a registered "
            f"store; registered kinds ({STORE_GROUP} entry points): {registered}"
        )
    factory: type[GraphStore] = found[kind].load()
    return factory.from_settings(settings)
