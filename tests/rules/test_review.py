"""Review: approve, reject, edit, retire; reviewer resolution; history and audit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reverie.audit.log import AuditLog
from reverie.errors import ConfigError, InputError
from reverie.rulebook.dream import DreamPolicy, dream
from reverie.rulebook.review import resolve_reviewer, review
from reverie.rulebook.rules import load_rule
from reverie.settings import ReviewSettings, Settings
from reverie.workspace import Workspace

AT = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def proposed(rules_ws, mk) -> tuple[Path, object]:
    rules, audit = rules_ws
    dream(
        rules_dir=rules,
        audit=audit,
        tenant="default",
        motifs=[mk()],
        now=AT,
        policy=DreamPolicy(min_sessions=2),
    )
    return rules, audit


def _ws(rules: Path, audit: AuditLog) -> Workspace:
    """The bare rule book of ``rules_ws`` as a workspace (no store is opened)."""
    return Workspace(Settings(root=rules.parent), rules_dir=rules, audit=audit)


def _review(rules, audit, decision, **kw):
    kw.setdefault("reason", "checked the evidence")
    return review(_ws(rules, audit), "default", "R-0001", decision, reviewer="ana", now=AT, **kw)


def test_approve_then_retire(proposed) -> None:
    rules, audit = proposed
    rule = _review(rules, audit, "approve")
    assert rule.status == "approved" and rule.version == 2
    assert load_rule(rules / "R-0001.md") == rule
    last = rule.history[-1]
    assert (last.action, last.actor, last.reason) == (
        "review.approve",
        "ana",
        "checked the evidence",
    )
    assert last.details["status"] == ["proposed", "approved"]
    rule = _review(rules, audit, "retire", reason="the hook was removed")
    assert rule.status == "retired" and rule.version == 3
    assert [e.action for e in audit.entries()] == ["propose", "review.approve", "review.retire"]
    assert audit.verify().entries == 3


def test_reject_needs_a_reason_and_a_known_rule(proposed) -> None:
    rules, audit = proposed
    with pytest.raises(InputError, match="needs a reason"):
        _review(rules, audit, "reject", reason="  ")
    with pytest.raises(InputError, match="no rule R-0099"):
        review(_ws(rules, audit), "default", "R-0099", "approve", reviewer="ana", reason="x",
               now=AT)
    with pytest.raises(InputError, match="no rule R-0001 for tenant"):
        review(_ws(rules, audit), "globex", "R-0001", "approve", reviewer="ana", reason="x",
               now=AT)
    assert _review(rules, audit, "reject").status == "rejected"
    with pytest.raises(InputError, match="cannot reject R-0001: it is rejected"):
        _review(rules, audit, "reject")


def test_edit_keeps_evidence_and_records_the_change(proposed) -> None:
    rules, audit = proposed
    before = load_rule(rules / "R-0001.md")
    rule = _review(
        rules,
        audit,
        "edit",
        reason="clearer",
        edits={"directive": "Run `mix format` before every `git commit`.", "title": None},
    )
    assert rule.directive == "Run `mix format` before every `git commit`."
    assert rule.evidence == before.evidence and rule.status == "proposed"
    change = rule.history[-1].details["changes"]["directive"]
    assert change == {"old": before.directive, "new": rule.directive}
    with pytest.raises(InputError, match="directive"):
        _review(rules, audit, "edit", edits={"directive": "It was broken. Fix it."})
    with pytest.raises(InputError, match="nothing to edit"):
        _review(rules, audit, "edit", edits={"directive": rule.directive})


def test_reviewer_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "none"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    settings = Settings(root=tmp_path)
    with pytest.raises(ConfigError, match=r"--reviewer NAME.*\[review\].*git config user.name"):
        resolve_reviewer(None, settings)
    (tmp_path / "none").write_text("[user]\n\tname = Git Person\n")
    assert resolve_reviewer(None, settings) == "Git Person"
    configured = Settings(root=tmp_path, review=ReviewSettings(reviewer="Toml Person"))
    assert resolve_reviewer(None, configured) == "Toml Person"
    assert resolve_reviewer("Cli Person", configured) == "Cli Person"
