"""Workspaces for the evaluation tests: generated corpora with a known deployment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reverie.cli import app
from reverie.rulebook import load_rules
from reverie.synth import write_corpus

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SESSIONS = 80
DEPLOYED = START + timedelta(hours=6 * SESSIONS // 2)  # sessions are 6 hours apart


@dataclass
class Planted:
    root: Path
    rule: str  # id of the rule distilled from the fixed motif


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _workspace(root: Path, fixed: tuple[str, ...]) -> Planted:
    write_corpus(root / "corpus", sessions=SESSIONS, steps=30, seed=3, start=START,
                 deployed_at=DEPLOYED, fixed=fixed)
    ws = root / "ws"
    run("init", str(ws))
    run("ingest", "-w", str(ws), str(root / "corpus"))
    run("dream", "-w", str(ws), "--json")
    rule = next(r.id for r in load_rules(ws / "rules")
                if not r.seeded and "git commit" in r.title + r.directive + r.when)
    run("review", "approve", rule, "--reason", "deployed in the test", "--reviewer", "test",
        "-w", str(ws))
    return Planted(root=ws, rule=rule)


@pytest.fixture(scope="module")
def improved(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    """mix-format stops occurring in every session after DEPLOYED; its rule is approved."""
    return _workspace(tmp_path_factory.mktemp("improved"), ("mix-format",))


@pytest.fixture(scope="module")
def unchanged(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    """The same corpus without any change at DEPLOYED; the same rule is approved."""
    return _workspace(tmp_path_factory.mktemp("unchanged"), ())


@pytest.fixture(scope="session")
def cli_run() -> Callable[..., str]:
    """``run(*args)``: invoke the CLI, insist on exit code 0, return the output."""
    return run


@pytest.fixture(scope="session")
def deployed() -> datetime:
    return DEPLOYED
