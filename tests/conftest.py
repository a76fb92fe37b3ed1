"""Shared fixtures: the real transcripts beside the checkout, fresh workspaces, the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from typer.testing import CliRunner

from reverie.settings import Settings
from reverie.store import GraphStore, open_store
from reverie.workspace import Workspace, init_workspace

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"

# Property tests: no per-example deadline (a shared 2-core machine stalls at
# times), and in CI the same examples every run so a red build reproduces.
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Real model calls are impossible in tests: no key reaches the client, and the
# distiller's tests pass a replay transport explicitly.
for _name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """``../shared/data/real``: present on every developer machine and in CI."""
    assert REAL.is_dir(), f"the real transcripts are missing: expected them at {REAL}"
    return REAL


@pytest.fixture
def workspace(tmp_path: Path) -> Settings:
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def store(workspace: Settings) -> Iterator[GraphStore]:
    s = open_store(workspace)
    yield s
    s.close()


@pytest.fixture
def space(workspace: Settings, store: GraphStore) -> Workspace:
    """``workspace`` and ``store`` as the stages take them: ``stage(space, tenant, ...)``."""
    return Workspace(workspace, store=store)


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()
