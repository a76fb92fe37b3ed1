"""Store fixtures: the embedded store on a temp file and the Bolt store on a real server.

The Bolt server is ArcadeDB (``arcadedb-embedded``, a dev dependency), started
once per test session on free loopback ports in a temporary folder and stopped
at the end. Set ``REVERIE_NEO4J_URI`` (with ``REVERIE_NEO4J_USER``,
``REVERIE_NEO4J_PASSWORD`` and optionally ``REVERIE_NEO4J_DATABASE``) to run the
same suite against a live Neo4j instead. Every test writes under its own fresh
tenant, so tests sharing the server never see each other's records.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reverie.store.base import GraphStore
from reverie.store.bolt import BoltStore
from reverie.store.sqlite import SQLiteStore
from reverie.testing.arcadedb import ArcadeDBServer


@dataclass(frozen=True)
class BoltTarget:
    """Where the Bolt tests connect; ``server`` is set when the tests started it."""

    uri: str
    auth: tuple[str, str] | None
    database: str | None
    server: ArcadeDBServer | None = None

    def open(self, **kwargs: object) -> BoltStore:
        return BoltStore(self.uri, self.auth, self.database, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def bolt_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltTarget]:
    """A live Neo4j from ``REVERIE_NEO4J_URI``, else one ArcadeDB server for the session."""
    uri = os.environ.get("REVERIE_NEO4J_URI")
    if uri:
        password = os.environ.get("REVERIE_NEO4J_PASSWORD")
        user = os.environ.get("REVERIE_NEO4J_USER", "neo4j")
        auth = None if password is None else (user, password)
        yield BoltTarget(uri, auth, os.environ.get("REVERIE_NEO4J_DATABASE"))
        return
    server = ArcadeDBServer(tmp_path_factory.mktemp("arcadedb"), heap="1g")
    server.start()
    try:
        yield BoltTarget(server.uri, server.auth, server.database, server)
    finally:
        server.stop()


@pytest.fixture(params=["embedded", pytest.param("bolt", marks=pytest.mark.bolt)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """Each contract test runs once per store: embedded (SQLite) and Bolt."""
    if request.param == "embedded":
        opened: GraphStore = SQLiteStore(tmp_path / "store.db")
    else:
        opened = request.getfixturevalue("bolt_target").open(retry_seconds=10)
    yield opened
    opened.close()


@pytest.fixture
def tenant() -> str:
    """A tenant no other test uses (the Bolt server is shared by the session)."""
    return "t-" + uuid.uuid4().hex[:12]


@pytest.fixture
def new_tenant() -> object:
    """A factory of further fresh tenants, for isolation tests."""
    return lambda: "t-" + uuid.uuid4().hex[:12]
