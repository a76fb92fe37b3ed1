"""Fixtures for the render tests: a workspace whose rule book the test writes itself."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reverie.audit.log import AuditLog
from reverie.models import CurationDecision
from reverie.rulebook.rules import Evidence, HistoryEntry, Rule, Scope
from reverie.settings import Settings
from reverie.workspace import init_workspace

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
GOLDEN = Path(__file__).parent / "golden"


def make_rule(
    rule_id: str,
    directive: str,
    *,
    status: str = "approved",
    tenant: str = "acme",
    agents: list[str] | str = "fleet",
    tools: tuple[str, ...] = ("Bash",),
    confidence: float = 0.8,
    sessions: int = 3,
    support: int = 6,
    trust_support: float = 3.6,
    seeded: bool = False,
    evidence_agents: tuple[str, ...] = ("claude-code", "codex"),
) -> Rule:
    """A rule as the dream and a review leave it (approved rules carry the approval)."""
    history = [HistoryEntry(action="propose", actor="dream", at=T0, reason="new motif")]
    if status == "approved":
        history.append(
            HistoryEntry(action="review.approve", actor="alice", at=T0, reason="checked the lines")
        )
    elif status in ("rejected", "quarantined"):
        history.append(HistoryEntry(action=status, actor="bob", at=T0, reason="not useful"))
    evidence = Evidence(
        motif_id=f"b2:{rule_id[-4:]:0>32}",
        sessions=[f"b2:{i:0>32}" for i in range(sessions)],
        agents=list(evidence_agents),
        support=support,
        trust_support=trust_support,
    )
    return Rule(
        id=rule_id,
        title=f"Title of {rule_id}",
        directive=directive,
        when="When the agent is about to run the command.",
        because="It failed in earlier sessions without it.",
        scope=Scope(tenant=tenant, agents=agents, tools=list(tools)),
        status=status,  # type: ignore[arg-type]
        confidence=confidence,
        evidence=Evidence() if seeded else evidence,
        seeded=seeded,
        version=2 if status == "approved" else 1,
        created=T0,
        updated=T0,
        history=history,
    )


def mask(text: str) -> str:
    """Golden-file normalisation: content hashes and ISO times masked."""
    text = re.sub(r"b2:[0-9a-f]{32}", "b2:<hash>", text)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", "<time>", text)


@pytest.fixture
def ws(tmp_path: Path) -> Settings:
    """A workspace for tenant ``acme`` with an empty rule book (no shipped seeds)."""
    settings = init_workspace(tmp_path / "ws", tenant="acme")
    shutil.rmtree(settings.rules_dir)
    settings.rules_dir.mkdir()
    return settings


def write_rules(settings: Settings, *rules: Rule) -> None:
    """Write ``rules``, each with a logged decision: a rule file that no logged decision
    explains is not rendered (issue 14, see reverie.audit.rules)."""
    log = AuditLog(settings.state_dir)
    for rule in rules:
        made = CurationDecision(
            action="test.write", rule_id=rule.id, actor="test", reason="the test's rules", at=T0
        )
        log.commit(rule.scope.tenant, [made], [rule], settings.rules_dir)


@pytest.fixture(name="make_rule")
def make_rule_fixture() -> Callable[..., Rule]:
    """:func:`make_rule`, for tests (helpers reach tests as fixtures)."""
    return make_rule


@pytest.fixture
def put(ws: Settings) -> Callable[..., None]:
    """Write rules into the ``ws`` rule book."""
    return lambda *rules: write_rules(ws, *rules)


@pytest.fixture(name="mask")
def mask_fixture() -> Callable[[str], str]:
    return mask


@pytest.fixture
def book(ws: Settings) -> dict[str, Any]:
    """A rule book with every status and scope the render must tell apart."""
    rules = {
        "fleet": make_rule("R-0010", "Run `mix format` before running `git commit`."),
        "seeded": make_rule(
            "R-0001",
            "Read a file before editing it.",
            tenant="*",
            tools=("Edit",),
            seeded=True,
            confidence=0.9,
        ),
        "agent": make_rule(
            "R-0011",
            "Run `Glob` before using Read.",
            agents=["claude-code"],
            tools=("Read",),
            confidence=0.7,
            sessions=2,
            support=2,
            trust_support=1.2,
            evidence_agents=("claude-code",),
        ),
        "general": make_rule(
            "R-0012",
            "Run the failing test on its own after fixing it.",
            tools=(),
            confidence=0.95,
            support=4,
            trust_support=1.6,  # low trust: 0.4, so it ranks below R-0010 despite confidence
        ),
        "proposed": make_rule("R-0020", "Use `uv pip` instead of pip.", status="proposed"),
        "rejected": make_rule("R-0021", "Delete the lock file when npm fails.", status="rejected"),
        "quarantined": make_rule(
            "R-0022", "Curl the install script from the page.", status="quarantined"
        ),
        "retired": make_rule("R-0023", "Pin pytest below version 8.", status="retired"),
        "other_tenant": make_rule(
            "R-0030", "Use the staging cluster for migrations.", tenant="globex"
        ),
        "other_agent": make_rule(
            "R-0031", "Run `cargo fmt` before committing.", agents=["codex"], tools=("Bash",)
        ),
    }
    write_rules(ws, *rules.values())
    return rules
