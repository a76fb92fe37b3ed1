"""One workspace lock for every command that writes rules or the audit log (issue 14, finding 2).

Real processes race: two dreams of different tenants and a reviewer's approval,
started together at a barrier, several rounds; nothing is lost. Waiting is
shown by holding the lock from the test, never by sleeping.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reverie.audit.log import AuditLog
from reverie.rulebook.dream import DreamPolicy, dream
from reverie.rulebook.review import review
from reverie.rulebook.rules import find_rule, load_rules
from reverie.settings import Settings
from reverie.workspace import Workspace, init_workspace

NOW = datetime(2026, 3, 2, tzinfo=UTC)
ROUNDS = 4
FORK = multiprocessing.get_context("fork")


def _motif(mk: Any, tenant: str, n: int, extra: int = 0) -> Any:
    """Tenant ``tenant``'s motif ``n``; ``extra`` more sessions make a later round reinforce it."""
    sessions = ("s1", "s2", *(f"s{n}-{i}" for i in range(extra)))
    return mk(
        tenant=tenant,
        signature=f"sig-{tenant}-{n}",
        program=f"tool{n} build",
        template=f"error E{n}: build of {tenant} failed",
        fix=f"ran `make prep{n}` first",
        sessions=sessions,
    )


def _dream(root: Path, tenant: str, motifs: list[Any], barrier: Any) -> None:
    barrier.wait()
    dream(
        rules_dir=root / "rules",
        audit=AuditLog(root / ".reverie"),
        tenant=tenant,
        motifs=motifs,
        now=NOW,
        policy=DreamPolicy(min_sessions=2),
    )


def _approve(root: Path, rule_id: str, barrier: Any) -> None:
    barrier.wait()
    review(
        Workspace(Settings(root=root)),  # root/rules and the audit log in root/.reverie
        "a",
        rule_id,
        "approve",
        reviewer="ana",
        reason="checked the evidence",
        now=NOW,
    )


def _rule_of(root: Path, tenant: str, motif_id: str) -> str:
    ids = [
        e.rule_id
        for e in AuditLog(root / ".reverie").entries(tenant)
        if e.action == "propose" and e.motif_id == motif_id
    ]
    assert len(ids) == 1, ids
    return ids[0]  # type: ignore[return-value]


def test_two_dreams_and_a_review_in_parallel_lose_nothing(tmp_path: Path, mk: Any) -> None:
    root = tmp_path / "ws"
    (root / "rules").mkdir(parents=True)
    for n in range(ROUNDS):
        # tenant a: a new motif, and last round's motif seen again (the dream rewrites that
        # rule) while the reviewer approves it; tenant b: a new motif (a new rule id)
        motifs_a = [_motif(mk, "a", n)] + ([_motif(mk, "a", n - 1, extra=n)] if n else [])
        jobs: list[tuple[Any, tuple[Any, ...]]] = [
            (_dream, (root, "a", motifs_a)),
            (_dream, (root, "b", [_motif(mk, "b", n)])),
        ]
        if n:
            jobs.append((_approve, (root, _rule_of(root, "a", _motif(mk, "a", n - 1).id))))
        barrier = FORK.Barrier(len(jobs))
        procs = [FORK.Process(target=fn, args=(*args, barrier)) for fn, args in jobs]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0] * len(procs)

    log = AuditLog(root / ".reverie")
    assert log.verify().entries > 0
    entries = list(log.entries())
    rules = {r.id: r for r in load_rules(root / "rules")}
    proposed = [e for e in entries if e.action == "propose"]
    # no id used twice, and every proposal is the rule file of that id
    assert len(proposed) == 2 * ROUNDS == len({e.rule_id for e in proposed}) == len(rules)
    for e in proposed:
        rule = rules[e.rule_id]  # type: ignore[index]
        assert (rule.scope.tenant, rule.evidence.motif_id) == (e.tenant, e.motif_id)
    # every reinforcement is in its rule's evidence
    for e in entries:
        if e.action == "reinforce":
            assert set(e.details["new_sessions"]) <= set(rules[e.rule_id].evidence.sessions)  # type: ignore[index]
    # every approval printed as done survived the concurrent dream
    approved = [e.rule_id for e in entries if e.action == "review.approve"]
    assert len(approved) == ROUNDS - 1
    assert all(rules[rid].status == "approved" for rid in approved)  # type: ignore[index]
    # each rule's history holds every logged decision about it
    for rid, rule in rules.items():
        logged = [e.action for e in entries if e.rule_id == rid]
        assert [h.action for h in rule.history] == logged


def _cli(ws: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "reverie", *args, "-w", str(ws)]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "COLUMNS": "200", **extra}


@pytest.fixture
def proposed(tmp_path: Path, mk: Any) -> tuple[Path, str]:
    """A workspace with one proposed rule of tenant ``default``; its root and the rule id."""
    settings = init_workspace(tmp_path / "ws")
    report = dream(
        rules_dir=settings.rules_dir,
        audit=AuditLog(settings.state_dir),
        tenant="default",
        motifs=[_motif(mk, "default", 1)],
        now=NOW,
        policy=DreamPolicy(min_sessions=2),
    )
    (rid,) = [d.rule_id for d in report.decisions if d.action == "propose"]
    return settings.root, rid  # type: ignore[return-value]


APPROVE = ("review", "approve", "--reason", "checked", "--reviewer", "ana")


def test_a_command_waits_for_the_lock_then_times_out_with_exit_2(
    proposed: tuple[Path, str],
) -> None:
    from reverie.audit.lock import workspace_lock

    root, rid = proposed
    with workspace_lock(root / ".reverie", "test holder"):
        done = subprocess.run(
            _cli(root, *APPROVE[:2], rid, *APPROVE[2:]),
            env=_env(REVERIE_LOCK_TIMEOUT="0.2"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    err = " ".join(done.stderr.split())
    assert f"waiting for the workspace lock held by pid {os.getpid()} (test holder) ..." in err
    assert f"still held by pid {os.getpid()} (test holder) after 0.2 s" in err
    assert "REVERIE_LOCK_TIMEOUT" in err
    assert find_rule(root / "rules", rid).status == "proposed"


def test_a_waiting_review_goes_on_when_the_lock_is_released(proposed: tuple[Path, str]) -> None:
    from reverie.audit.lock import workspace_lock

    root, rid = proposed
    with workspace_lock(root / ".reverie", "reverie dream"):
        proc = subprocess.Popen(
            _cli(root, *APPROVE[:2], rid, *APPROVE[2:]),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        line = proc.stderr.readline()  # blocks until the review says it waits
        assert f"held by pid {os.getpid()} (reverie dream)" in line
        assert find_rule(root / "rules", rid).status == "proposed"
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert find_rule(root / "rules", rid).status == "approved"
    assert AuditLog(root / ".reverie").verify().entries == 2


def test_the_lock_is_reentrant_and_recovers_once(tmp_path: Path) -> None:
    from reverie.audit.lock import workspace_lock

    calls: list[int] = []
    with (
        workspace_lock(tmp_path, "outer", on_acquire=lambda: calls.append(1)),
        workspace_lock(tmp_path, "inner", on_acquire=lambda: calls.append(2)),
    ):
        assert (tmp_path / "workspace.lock").read_text() == f"{os.getpid()} outer\n"
    assert calls == [1]
    assert (tmp_path / "workspace.lock").read_text() == ""


def test_a_forked_child_does_not_inherit_the_hold(tmp_path: Path) -> None:
    from reverie.audit.lock import workspace_lock
    from reverie.errors import WorkspaceBusy

    def child(queue: Any) -> None:
        try:
            with workspace_lock(tmp_path, "child", timeout=0, on_wait=lambda _m: None):
                queue.put("took it")
        except WorkspaceBusy:
            queue.put("busy")

    queue = FORK.Queue()
    with workspace_lock(tmp_path, "parent"):
        p = FORK.Process(target=child, args=(queue,))
        p.start()
        p.join(30)
    assert queue.get(timeout=30) == "busy"


def test_the_timeout_comes_from_the_environment_or_the_setting() -> None:
    from reverie.audit.lock import timeout_from
    from reverie.errors import ConfigError

    assert timeout_from(60.0, {}) == 60.0
    assert timeout_from(60.0, {"REVERIE_LOCK_TIMEOUT": "2.5"}) == 2.5
    with pytest.raises(ConfigError, match="REVERIE_LOCK_TIMEOUT='soon' is not a number"):
        timeout_from(60.0, {"REVERIE_LOCK_TIMEOUT": "soon"})
