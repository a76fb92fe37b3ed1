"""A dream cycle or a review decision is one recoverable unit (issue 14, finding 4).

The command is killed (``os._exit``, via the ``REVERIE_TEST_CRASH_AT`` hook of
:mod:`reverie.audit.journal`) at each step of writing; the next command that takes
the workspace lock finishes or discards it. Afterwards the log verifies, no id
is used twice, the state is the whole cycle or none of it, and a rerun of the
dream is a no-op where the cycle was completed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reverie.audit.log import AuditLog
from reverie.rulebook.dream import DreamPolicy, DreamReport, dream
from reverie.rulebook.rules import find_rule
from reverie.workspace import init_workspace

NOW = datetime(2026, 3, 2, tzinfo=UTC)
FORK = multiprocessing.get_context("fork")
CRASHED = 86


def _motif(mk: Any, n: int, extra: int = 0) -> Any:
    sessions = ("s1", "s2", *(f"s{n}-{i}" for i in range(extra)))
    return mk(
        signature=f"sig-{n}",
        program=f"tool{n} build",
        template=f"error E{n}: build failed",
        fix=f"ran `make prep{n}` first",
        sessions=sessions,
    )


def _dream(root: Path, motifs: list[Any]) -> DreamReport:
    return dream(
        rules_dir=root / "rules",
        audit=AuditLog(root / ".reverie"),
        tenant="default",
        motifs=motifs,
        now=NOW,
        policy=DreamPolicy(min_sessions=2),
    )


def _second_cycle(root: Path, mk: Any) -> DreamReport:
    """Motif 0 seen again (reinforce R-0001), motifs 1 and 2 new (R-0002, R-0003)."""
    return _dream(root, [_motif(mk, 0, extra=2), _motif(mk, 1), _motif(mk, 2)])


def _snapshot(root: Path) -> tuple[dict[str, str], list[tuple[Any, ...]]]:
    """Rule files by name, and the logged decisions (recovery entries left out)."""
    rules = {p.name: p.read_text() for p in sorted((root / "rules").glob("*"))}
    entries = [
        (e.action, e.rule_id, e.motif_id, e.tenant)
        for e in AuditLog(root / ".reverie").entries()
        if not e.action.startswith("recover.")
    ]
    return rules, entries


def _killed_at(step: str, work: Any) -> int | None:
    """Run ``work`` in a forked child that exits at ``step``; its exit code."""

    def child() -> None:
        os.environ["REVERIE_TEST_CRASH_AT"] = step
        work()
        os._exit(0)

    proc = FORK.Process(target=child)
    proc.start()
    proc.join(60)
    return proc.exitcode


def _no_id_twice(root: Path) -> None:
    proposed = [e.rule_id for e in AuditLog(root / ".reverie").entries() if e.action == "propose"]
    assert len(proposed) == len(set(proposed))


@pytest.mark.parametrize(
    ("step", "outcome"),
    [
        ("journal-partial", "none"),
        ("journal-written", "whole"),
        ("audit-partial", "whole"),
        ("after-audit", "whole"),
        ("after-head", "whole"),
        ("after-rule", "whole"),
        ("applied", "whole"),
    ],
)
def test_a_dream_killed_at_any_step_is_whole_or_none(
    tmp_path: Path, mk: Any, step: str, outcome: str
) -> None:
    root = tmp_path / "ws"
    (root / "rules").mkdir(parents=True)
    _dream(root, [_motif(mk, 0)])
    before = _snapshot(root)
    whole_root = tmp_path / "whole"
    shutil.copytree(root, whole_root)
    assert len(_second_cycle(whole_root, mk).decisions) == 3
    whole = _snapshot(whole_root)

    assert _killed_at(step, lambda: _second_cycle(root, mk)) == CRASHED
    report = AuditLog(root / ".reverie").verify()  # the next command: no false alarm
    assert _snapshot(root) == (whole if outcome == "whole" else before)
    recovered = list(AuditLog(root / ".reverie").entries())[-1]
    action = "roll_forward" if outcome == "whole" else "roll_back"
    assert (recovered.seq, recovered.action) == (report.entries, f"recover.{action}")
    assert not (root / ".reverie" / "journal.json").exists()
    _no_id_twice(root)

    rerun = _second_cycle(root, mk)
    assert (rerun.decisions == []) is (outcome == "whole")  # nothing twice, nothing lost
    assert _snapshot(root) == whole
    AuditLog(root / ".reverie").verify()
    _no_id_twice(root)


def test_the_first_keyed_cycle_killed_after_its_key_is_completed(tmp_path: Path, mk: Any) -> None:
    root = tmp_path / "ws"
    (root / "rules").mkdir(parents=True)
    assert _killed_at("after-key", lambda: _dream(root, [_motif(mk, 0)])) == CRASHED
    assert (root / ".reverie" / "audit.key").exists()
    assert not (root / ".reverie" / "audit.jsonl").exists()
    assert AuditLog(root / ".reverie").verify().entries == 2  # propose + recover.roll_forward
    assert _dream(root, [_motif(mk, 0)]).decisions == []


def test_an_unreadable_journal_is_rolled_back_and_logged(tmp_path: Path, mk: Any) -> None:
    root = tmp_path / "ws"
    (root / "rules").mkdir(parents=True)
    _dream(root, [_motif(mk, 0)])
    state = root / ".reverie"
    (state / "journal.json").write_text('{"command": "reverie dream", "ops": [')
    report = AuditLog(state).verify()
    last = list(AuditLog(state).entries())[-1]
    assert (report.entries, last.action) == (2, "recover.roll_back")
    assert "unreadable journal" in last.reason and (state / "journal.json.bad").exists()


def test_a_log_cut_below_the_journal_is_not_rolled_forward(tmp_path: Path, mk: Any) -> None:
    from reverie.errors import AuditError

    root = tmp_path / "ws"
    (root / "rules").mkdir(parents=True)
    _dream(root, [_motif(mk, 0)])
    assert _killed_at("after-audit", lambda: _second_cycle(root, mk)) == CRASHED
    (root / ".reverie" / "audit.jsonl").write_text("")
    with pytest.raises(AuditError, match=r"audit.jsonl has 0 bytes, fewer than the \d+ it had"):
        AuditLog(root / ".reverie").verify()


def test_a_review_killed_between_its_entry_and_its_file_is_completed(
    tmp_path: Path, mk: Any
) -> None:
    """Through the CLI: ``review approve`` dies after the audit line; ``audit verify`` next."""
    settings = init_workspace(tmp_path / "ws")
    (rid,) = [d.rule_id for d in _dream(settings.root, [_motif(mk, 0)]).decisions]
    assert rid is not None
    cli = [sys.executable, "-m", "reverie"]
    ws = ["-w", str(settings.root)]
    approve = [*cli, "review", "approve", rid, "--reason", "checked", "--reviewer", "ana", *ws]
    env = {**os.environ, "REVERIE_TEST_CRASH_AT": "after-audit"}
    died = subprocess.run(approve, env=env, capture_output=True, text=True, timeout=60)
    assert died.returncode == CRASHED, died.stderr
    assert find_rule(settings.rules_dir, rid).status == "proposed"  # the file was not written
    env.pop("REVERIE_TEST_CRASH_AT")
    verified = subprocess.run(
        [*cli, "audit", "verify", *ws], env=env, capture_output=True, text=True, timeout=60
    )
    assert verified.returncode == 0, verified.stderr
    assert "audit log ok: 3 entries" in verified.stdout
    assert "an interrupted `reverie review approve` was completed" in verified.stderr
    assert find_rule(settings.rules_dir, rid).status == "approved"
    actions = [e.action for e in AuditLog(settings.state_dir).entries()]
    assert actions == ["propose", "review.approve", "recover.roll_forward"]


def test_a_journal_still_applies_after_the_workspace_was_moved(tmp_path: Path, mk: Any) -> None:
    root = tmp_path / "ws"
    (root / "rules").mkdir(parents=True)
    _dream(root, [_motif(mk, 0)])
    assert _killed_at("after-audit", lambda: _second_cycle(root, mk)) == CRASHED
    moved = root.rename(tmp_path / "moved")
    AuditLog(moved / ".reverie").verify()
    assert sorted(p.name for p in (moved / "rules").glob("R-*.md")) == [
        "R-0001.md",
        "R-0002.md",
        "R-0003.md",
    ]
    assert not root.exists()


def test_a_planted_journal_cannot_write_outside_the_workspace(tmp_path: Path) -> None:
    """Whoever can write ``.reverie/`` must not get the next command to write elsewhere."""
    from reverie.ids import make_id

    state = tmp_path / "ws" / ".reverie"
    state.mkdir(parents=True)
    target = tmp_path / "outside.txt"
    ops = [
        {"kind": "write", "path": p, "text": "pwned", "offset": 0, "step": "x", "private": False}
        for p in (str(target), "../outside.txt")
    ]
    for op in ops:
        digest = make_id("journal", "reverie dream", [op])
        body = {"command": "reverie dream", "ops": [op], "digest": digest}
        (state / "journal.json").write_text(json.dumps(body))
        AuditLog(state).verify()
        assert not target.exists()
        assert "outside the workspace" in list(AuditLog(state).entries())[-1].reason
