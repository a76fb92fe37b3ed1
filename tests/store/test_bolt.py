"""The Bolt store beyond the shared contract: parity with the embedded store,
configuration, schema, and clear errors when the server is unreachable."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from reverie.errors import ConfigError, StoreError
from reverie.ingest.pipeline import ingest_paths
from reverie.settings import Settings, StoreSettings
from reverie.store import open_store
from reverie.store.bolt import BoltStore, schema_statements
from reverie.store.sqlite import SQLiteStore
from reverie.testing.arcadedb import free_port
from reverie.workspace import Workspace

pytestmark = pytest.mark.bolt


def test_bolt_reads_equal_embedded_reads_on_real_transcripts(
    bolt_target, tenant: str, real_data: Path, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    settings = Settings(root=tmp_path)
    embedded = SQLiteStore(tmp_path / "e.db")
    bolt = bolt_target.open()
    try:
        a = ingest_paths(Workspace(settings, store=embedded), tenant, [real_data], workers=1)
        b = ingest_paths(Workspace(settings, store=bolt), tenant, [real_data], workers=1)
        assert a.model_dump() == b.model_dump()
        assert embedded.stats(tenant) == bolt.stats(tenant)
        assert list(embedded.events(tenant)) == list(bolt.events(tenant))
        assert embedded.sessions(tenant) == bolt.sessions(tenant)
        assert embedded.outcomes(tenant) == bolt.outcomes(tenant)
        sessions = embedded.sessions(tenant)
        runs = Counter(s.native_id for s in sessions)
        unique = next(s for s in sessions if runs[s.native_id] == 1)
        shared = next(s for s in sessions if runs[s.native_id] > 1)  # one task, several models
        assert bolt.find_session(tenant, unique.native_id) == unique
        assert bolt.find_session(tenant, shared.id) == shared
        assert bolt.find_session(tenant, shared.native_id) is None  # ambiguous, in both stores
        assert embedded.find_session(tenant, shared.native_id) is None
        ge, gb = embedded.to_networkx(tenant), bolt.to_networkx(tenant)
        assert dict(ge.nodes(data=True)) == dict(gb.nodes(data=True))
        assert sorted(ge.edges(keys=True)) == sorted(gb.edges(keys=True))
    finally:
        embedded.close()
        bolt.close()


def test_schema_is_named_and_applied_idempotently(bolt_target) -> None:  # type: ignore[no-untyped-def]
    statements = schema_statements()
    assert statements and all("IF NOT EXISTS" in s for s in statements)
    named = [re.match(r"CREATE (INDEX|CONSTRAINT) (\w+) IF NOT EXISTS FOR", s) for s in statements]
    assert all(named)
    indexes = {m.group(2) for m in named if m and m.group(1) == "INDEX"}
    constraints = {m.group(2) for m in named if m and m.group(1) == "CONSTRAINT"}
    for _ in range(2):  # applying it again on connect changes nothing and raises nothing
        bolt_target.open().close()
    store = bolt_target.open()
    try:
        shown = store._rows("SHOW INDEXES", "listing indexes")
    finally:
        store.close()
    assert indexes <= {r["name"] for r in shown}
    assert constraints <= {r.get("owningConstraint") for r in shown}
    assert len([r for r in shown if r["name"] in indexes]) == len(indexes)  # no duplicates


def test_from_settings_reads_credentials_from_the_environment(
    bolt_target, monkeypatch: pytest.MonkeyPatch, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    settings = Settings(
        root=tmp_path,
        store=StoreSettings(kind="neo4j", uri=bolt_target.uri, database=bolt_target.database),
    )
    if bolt_target.auth is not None:
        monkeypatch.setenv("REVERIE_NEO4J_USER", bolt_target.auth[0])
        monkeypatch.setenv("REVERIE_NEO4J_PASSWORD", bolt_target.auth[1])
    store = open_store(settings)
    try:
        assert isinstance(store, BoltStore)
        assert store.info() == {
            "kind": "neo4j", "uri": bolt_target.uri, "database": bolt_target.database
        }
    finally:
        store.close()
    if bolt_target.auth is not None:
        monkeypatch.setenv("REVERIE_NEO4J_PASSWORD", "wrong-password")
        with pytest.raises(StoreError, match="REVERIE_NEO4J_PASSWORD"):
            open_store(settings)


def test_missing_uri_is_a_config_error(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path, store=StoreSettings(kind="neo4j"))
    with pytest.raises(ConfigError, match=r"\[store\] uri"):
        BoltStore.from_settings(settings)


def test_unreachable_server_is_a_clear_store_error() -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=rf"{re.escape(uri)} failed after retrying"):
        BoltStore(uri, ("root", "x"), "reverie", retry_seconds=0.5, connection_timeout=1.0)


def test_parallel_ingest_workers_write_to_the_bolt_server(
    bolt_target, tenant: str, real_data: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`reverie ingest` with several worker processes, each with its own Bolt connection."""
    if bolt_target.auth is not None:
        monkeypatch.setenv("REVERIE_NEO4J_USER", bolt_target.auth[0])
        monkeypatch.setenv("REVERIE_NEO4J_PASSWORD", bolt_target.auth[1])
    settings = Settings(
        root=tmp_path,
        store=StoreSettings(kind="neo4j", uri=bolt_target.uri, database=bolt_target.database),
    )
    embedded = SQLiteStore(tmp_path / "e.db")
    bolt = open_store(settings)
    try:
        serial = ingest_paths(Workspace(settings, store=embedded), tenant, [real_data], workers=1)
        parallel = ingest_paths(Workspace(settings, store=bolt), tenant, [real_data], workers=2)
        assert parallel.errors == [] and parallel.files == serial.files
        assert bolt.stats(tenant) == embedded.stats(tenant)
        # which of two files holding the same event writes it first is a race: compare
        # everything but the event's source
        assert [e.model_dump(exclude={"source"}) for e in bolt.events(tenant)] == [
            e.model_dump(exclude={"source"}) for e in embedded.events(tenant)
        ]
    finally:
        embedded.close()
        bolt.close()
