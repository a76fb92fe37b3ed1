"""Fixtures for the MCP tests: a workspace, and one ``reverie mcp`` server per test module.

The workspace has rules of every status, several tools, agents and two
tenants; it is built once per test module by :func:`build`:

- ``acme`` (the default tenant) and ``globex``, each with sessions from
  :func:`reverie.synth.write_corpus`, ingested and dreamt as ``reverie dream``
  does: each gets a mined ``pytest`` rule and a mined ``git push`` rule
  (proposed); the ``mix format`` motif merges into seeded R-0001.
- acme's ``pytest`` rule and globex's ``git push`` rule are approved through
  :func:`reverie.rulebook.review.review`; acme's ``git push`` rule stays proposed.
- hand-written acme rules (through the audit log, as every command writes
  rules): one approved for agent ``agent-1`` only and the ``Edit`` tool, and
  one each quarantined, rejected and retired, all about ``pytest``.
- the seeded rules R-0001 (``git commit``, Bash), R-0002 (Edit, Write,
  MultiEdit) and R-0003 (no tool) are approved for every tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reverie.ingest.pipeline import ingest_paths
from reverie.models import CurationDecision
from reverie.rulebook.review import review
from reverie.rulebook.rules import Evidence, HistoryEntry, Rule, Scope, load_rules
from reverie.settings import load_settings
from reverie.synth import write_corpus
from reverie.testing.mcp_client import Client, connect
from reverie.workflow import curate
from reverie.workspace import Workspace, init_workspace

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
AGENT_RULE, QUARANTINED, REJECTED, RETIRED = "R-0100", "R-0101", "R-0102", "R-0103"


@dataclass(frozen=True)
class Built:
    """The workspace and the ids of the rules the tests talk about."""

    root: Path
    pytest_rule: str  # acme, mined, approved
    push_rule: str  # acme, mined, proposed
    globex_rule: str  # globex, mined, approved
    agent_rule: str = AGENT_RULE  # acme, approved for agent-1 and Edit
    quarantined: str = QUARANTINED
    rejected: str = REJECTED
    retired: str = RETIRED


def _hand_rule(rule_id: str, status: str, **changes: object) -> Rule:
    base: dict[str, object] = {
        "id": rule_id,
        "title": f"Hand-written rule {rule_id}",
        "directive": "Run `pytest -x` before `pytest`.",
        "when": "Before running `pytest` with the Bash tool.",
        "because": "The whole suite ran for nothing.",
        "scope": Scope(tenant="acme", agents="fleet", tools=["Bash"]),
        "status": status,
        "confidence": 0.95,
        "evidence": Evidence(sessions=["s1", "s2"], agents=["agent-0"], support=2,
                             trust_support=2.0),
        "created": T0,
        "updated": T0,
        "history": [HistoryEntry(action="propose", actor="test", at=T0, reason="hand-written")],
    }
    return Rule.model_validate(base | changes)


def _hand_rules() -> list[Rule]:
    return [
        _hand_rule(
            AGENT_RULE, "approved",
            title="Read the migration guide",
            directive="Read docs/migrations.md before editing a migration.",
            when="Before editing a database migration.",
            because="Hand-edited migrations broke the schema twice.",
            scope=Scope(tenant="acme", agents=["agent-1"], tools=["Edit"]),
            confidence=0.7,
        ),
        _hand_rule(QUARANTINED, "quarantined"),
        _hand_rule(REJECTED, "rejected"),
        _hand_rule(RETIRED, "retired"),
    ]


def _mined(rules: list[Rule], tenant: str, program: str) -> str:
    return next(r.id for r in rules
                if r.scope.tenant == tenant and not r.seeded and f"`{program}`" in r.when)


def build(root: Path, corpus: Path) -> Built:
    write_corpus(corpus / "acme", sessions=8, steps=12, agents=2, seed=3, motif_rate=1.5)
    write_corpus(corpus / "globex", sessions=6, steps=12, agents=2, seed=4, motif_rate=1.5)
    init_workspace(root, tenant="acme")
    settings = load_settings(root)
    with Workspace.open(settings) as ws:
        for tenant in ("acme", "globex"):
            ingest_paths(ws, tenant, [corpus / tenant])
            curate(ws, tenant, now=T0)
        mined = load_rules(settings.rules_dir)
        built = Built(root, _mined(mined, "acme", "pytest"), _mined(mined, "acme", "git push"),
                      _mined(mined, "globex", "git push"))
        for tenant, rule_id in (("acme", built.pytest_rule), ("globex", built.globex_rule)):
            review(ws, tenant, rule_id, "approve", reviewer="rev", reason="checked", now=T0)
        hand = _hand_rules()
        ws.audit.commit(
            "acme",
            [CurationDecision(action="test.write", rule_id=r.id, actor="test", reason="fixture",
                              at=T0) for r in hand],
            hand,
            ws.rules_dir,
        )
    return built


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("mcp")
    return build(base / "ws", base / "corpus")


@pytest.fixture(scope="module")
def server(built: Built) -> Iterator[Client]:
    """``reverie mcp -w WS`` (tenant acme, no agent), shared by the module's tests."""
    with connect("-w", str(built.root)) as client:
        yield client
