"""Workspaces for the evaluation tests: generated corpora with a known deployment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reverie.cli import app
from reverie.rulebook.rules import load_rules
from reverie.synth import MOTIFS, PlantedMotif, write_corpus

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SESSIONS = 80
DEPLOYED = START + timedelta(hours=6 * SESSIONS // 2)  # sessions are 6 hours apart
CREDO = PlantedMotif(
    "mix-credo",
    "git commit -m 'update {n}'",
    "Exit code 1\nPre-commit validation failed:\n\n[CREDO] Found 3 refactoring opportunities.\n"
    "Run 'mix credo --strict' to see them.",
    "mix credo --strict",
)
# the generator's motifs with the strict credo check in the formatter's place: a formatter run
# before `git commit` restates seeded rule R-0001 (merged into it), this fix is a rule of its own
PLANTED = tuple(CREDO if m.name == "mix-format" else m for m in MOTIFS)


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
                 deployed_at=DEPLOYED, fixed=fixed, motifs=PLANTED)
    ws = root / "ws"
    run("init", str(ws))
    run("ingest", "-w", str(ws), str(root / "corpus"))
    run("dream", "-w", str(ws), "--json")
    rule = next(r.id for r in load_rules(ws / "rules")
                if r.directive == "Run `mix credo --strict` before `git commit`.")
    run("review", "approve", rule, "--reason", "deployed in the test", "--reviewer", "test",
        "-w", str(ws))
    return Planted(root=ws, rule=rule)


@pytest.fixture(scope="module")
def improved(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    """mix-credo stops occurring in every session after DEPLOYED; its rule is approved."""
    return _workspace(tmp_path_factory.mktemp("improved"), ("mix-credo",))


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
