"""Fixtures of the watch tests: a workspace, a generated corpus staged aside, running watches."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reverie.synth import write_corpus
from reverie.workspace import init_workspace

from .running import Watch


@dataclass
class Corpus:
    """Claude Code transcripts written aside (``staged``), moved into ``inbox`` on demand."""

    staged: list[Path]
    events: int
    inbox: Path

    def deliver(self, files: list[Path] | None = None) -> list[Path]:
        """Move files into the watched folder whole (a rename: never seen half-written)."""
        moved = []
        for path in files if files is not None else self.staged:
            target = self.inbox / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            moved.append(target)
        return moved


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    init_workspace(tmp_path / "ws")
    return tmp_path / "ws"


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    """Six sessions of two agents with recurring failures: the dream proposes two rules."""
    stats = write_corpus(tmp_path / "staged", sessions=6, steps=12, agents=2, seed=3,
                         motif_rate=0.9, noise_rate=0)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return Corpus(sorted(stats.files), stats.events, inbox)


@pytest.fixture
def watches() -> Iterator[list[Watch]]:
    """Watches a test started; any still running at the end is killed."""
    started: list[Watch] = []
    yield started
    for w in started:
        w.kill()
