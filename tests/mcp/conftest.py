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

from reverie.rulebook.review import review
from reverie.rulebook.rules import Evidence, Rule, Scope, load_rules
from reverie.testing.mcp_client import Client, connect
from reverie.testing.rulebooks import hand_rule, two_tenants, write_rules
from reverie.workspace import Workspace

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
    about_pytest = {"directive": "Run `pytest -x` before `pytest`.",
                    "when": "Before running `pytest` with the Bash tool.",
                    "because": "The whole suite ran for nothing.", "confidence": 0.95,
                    "evidence": Evidence(sessions=["s1", "s2"], agents=["agent-0"], support=2,
                                         trust_support=2.0)}
    return hand_rule(rule_id, T0, status=status, **(about_pytest | changes))


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
    settings = two_tenants(root, corpus, T0)
    with Workspace.open(settings) as ws:
        mined = load_rules(settings.rules_dir)
        built = Built(root, _mined(mined, "acme", "pytest"), _mined(mined, "acme", "git push"),
                      _mined(mined, "globex", "git push"))
        for tenant, rule_id in (("acme", built.pytest_rule), ("globex", built.globex_rule)):
            review(ws, tenant, rule_id, "approve", reviewer="rev", reason="checked", now=T0)
        write_rules(ws, "acme", _hand_rules(), T0)
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
