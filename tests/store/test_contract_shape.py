"""Every registered store implements the whole ``GraphStore`` contract, method by method.

Callers never ask a store what it can do (no ``isinstance`` capability checks),
so each class registered in the ``reverie.stores`` entry-point group must have
every method of the protocol with the protocol's parameters (names, kinds,
defaults and annotations) and return annotation.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from reverie.errors import ConfigError
from reverie.settings import Settings, StoreSettings
from reverie.store import open_store, store_kinds
from reverie.store.base import GraphStore

CONTRACT = sorted(
    name
    for name, member in vars(GraphStore).items()
    if not name.startswith("_") and callable(getattr(GraphStore, name))
)


def _shape(func: Any) -> tuple[list[tuple[str, Any, Any, Any]], Any]:
    """Parameters (without ``self``/``cls``) and return annotation, as comparable values."""
    sig = inspect.signature(func)
    params = [
        (p.name, p.kind, p.default, p.annotation)
        for p in sig.parameters.values()
        if p.name not in ("self", "cls")
    ]
    return params, sig.return_annotation


def test_the_contract_covers_ingest_reading_mining_and_erasure() -> None:
    assert {"from_settings", "close", "info", "write_file", "events", "failure_candidates",
            "write_motifs", "motifs", "erase", "compact"} <= set(CONTRACT)
    assert len(CONTRACT) == 28


def test_the_built_in_stores_are_registered() -> None:
    assert {"embedded", "neo4j"} <= set(store_kinds())


@pytest.mark.parametrize("kind", sorted(store_kinds()))
def test_every_registered_store_implements_every_method(kind: str) -> None:
    cls = store_kinds()[kind].load()
    missing = [name for name in CONTRACT if not callable(getattr(cls, name, None))]
    assert not missing, f"{kind} ({cls.__qualname__}) lacks {missing}"
    for name in CONTRACT:
        want = _shape(getattr(GraphStore, name))
        got = _shape(getattr(cls, name))
        want_ret = str(want[1]).replace("GraphStore", cls.__name__)
        assert got[0] == want[0], f"{kind}.{name}: parameters {got[0]} != contract {want[0]}"
        assert str(got[1]) == want_ret, f"{kind}.{name}: returns {got[1]} != {want_ret}"
    assert isinstance(inspect.getattr_static(cls, "from_settings"), classmethod)


def test_an_unregistered_kind_is_a_config_error_naming_the_registered_ones(
    tmp_path: Any,
) -> None:
    settings = Settings(root=tmp_path, store=StoreSettings(kind="cassandra"))
    with pytest.raises(ConfigError) as caught:
        open_store(settings)
    message = str(caught.value)
    assert "'cassandra'" in message and "reverie.toml" in message
    for kind in store_kinds():
        assert kind in message
