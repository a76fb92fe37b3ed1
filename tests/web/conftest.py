"""Fixtures for the review page: one workspace built per session, copied for each test.

Each test's copy has acme's approved rules (the seeded ones) exported into its
``CLAUDE.md``, so the rule page has an export to preview against.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from reverie.render.export import export
from reverie.settings import Settings, load_settings
from reverie.web import create_app
from reverie.workspace import Workspace

from .corpus import T0, Built, build


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("web")
    return build(base / "ws", base / "corpus")


@pytest.fixture
def ws(built: Built, tmp_path: Path) -> Settings:
    """A fresh copy of the session's workspace, for a test that may change it, with acme's
    approved rules exported into its CLAUDE.md (as `reverie export claude-md` does)."""
    root = tmp_path / "ws"
    shutil.copytree(built.root, root)
    settings = load_settings(root)
    with Workspace.open(settings) as space:
        export(space, "acme", "claude-md", root / "CLAUDE.md", agent=None, at=T0)
    return settings


@pytest.fixture
def client(ws: Settings) -> Iterator[TestClient]:
    """The review app of ``ws``'s tenant ``acme``, on a loopback address, no token."""
    app = create_app(ws, secret=b"s" * 32, clock=lambda: T0)
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        yield c
