"""The dream cycle over hand-built motifs: every decision is a test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from reverie.audit.log import AuditLog
from reverie.models import Motif
from reverie.rulebook.distill import EvidenceItem
from reverie.rulebook.dream import DreamPolicy, confidence, dream
from reverie.rulebook.rules import Rule, Scope, load_rule, load_rules, write_rule

T0 = datetime(2026, 2, 12, 14, 22, tzinfo=UTC)  # make_motif's default last_seen
NOW = T0 + timedelta(days=1)


def _run(rules: Path, audit: AuditLog, motifs: list[Motif], policy: DreamPolicy, **kw: object):
    kw.setdefault("now", NOW)
    kw.setdefault("tenant", "default")
    return dream(rules_dir=rules, audit=audit, motifs=motifs, policy=policy, **kw)


def _snapshot(rules: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(rules.glob("*.md"))}


def test_new_motif_becomes_a_proposed_rule(mk, rules_ws, policy) -> None:
    rules, audit = rules_ws
    report = _run(rules, audit, [mk()], policy)
    assert [d.action for d in report.decisions] == ["propose"]
    rule = load_rule(rules / "R-0001.md")
    assert rule.status == "proposed" and rule.version == 1
    assert rule.directive == "Run `mix format` before `git commit`." and rule.flags == []
    # 2 sessions, fixed in both, after 0.75 of the failures, trust at the reference:
    # (1 - 0.6^2) x (0.7 + 0.15 x 1 + 0.15 x 0.75) = 0.64 x 0.9625
    assert rule.confidence == 0.616
    assert rule.evidence.sessions == ["s1", "s2"] and rule.scope.agents == ["claude-code"]
    assert [(e.file, e.line) for e in rule.evidence.events] == [
        ("/data/s1.jsonl", 10),
        ("/data/s2.jsonl", 11),
    ]
    assert rule.history[0].action == "propose" and rule.history[0].actor == "dream"
    assert [e.action for e in audit.entries()] == ["propose"] and audit.verify().entries == 1


def test_below_min_sessions_and_other_tenants_are_ignored(mk, rules_ws, policy) -> None:
    rules, audit = rules_ws
    other = mk(tenant="globex", signature="other", sessions=("g1", "g2", "g3"))
    single = mk(signature="once", sessions=("s1",))
    report = _run(rules, audit, [other, single], policy)
    assert report.decisions == [] and list(rules.glob("*.md")) == []


def test_second_dream_changes_nothing(mk, rules_ws, policy) -> None:
    rules, audit = rules_ws
    motifs = [
        mk(),
        mk(
            signature="push",
            program="git push",
            fix="added `-u`",
            template="fatal: The current branch has no upstream",
        ),
    ]
    _run(rules, audit, motifs, policy)
    before, entries = _snapshot(rules), len(list(audit.entries()))
    report = _run(rules, audit, motifs, policy, now=NOW + timedelta(days=2))
    assert report.decisions == [] and report.written == []
    assert _snapshot(rules) == before and len(list(audit.entries())) == entries


def test_new_evidence_reinforces(mk, rules_ws, policy) -> None:
    rules, audit = rules_ws
    _run(rules, audit, [mk()], policy)
    grown = mk(sessions=("s1", "s2", "s3"), last_seen=T0 + timedelta(days=5))
    report = _run(rules, audit, [grown], policy, now=T0 + timedelta(days=6))
    assert [d.action for d in report.decisions] == ["reinforce"]
    assert report.decisions[0].details["new_sessions"] == ["s3"]
    rule = load_rule(rules / "R-0001.md")
    assert rule.evidence.sessions == ["s1", "s2", "s3"] and rule.version == 2
    assert rule.evidence.last_seen == T0 + timedelta(days=5)
    assert rule.confidence > 0.5 and [h.action for h in rule.history] == ["propose", "reinforce"]


def test_evidence_window_passes_then_retirement_is_proposed(mk, rules_ws, policy) -> None:
    rules, audit = rules_ws
    motif = mk()
    _run(rules, audit, [motif], policy)
    inside = _run(rules, audit, [motif], policy, now=NOW + timedelta(days=29))
    assert inside.decisions == []
    later = NOW + timedelta(days=31)
    report = _run(rules, audit, [motif], policy, now=later)
    assert [d.action for d in report.decisions] == ["propose_retirement"]
    rule = load_rule(rules / "R-0001.md")
    assert rule.status == "proposed" and [f.kind for f in rule.flags] == ["retire"]
    assert "evidence window 30 days" in rule.flags[0].reason
    again = _run(rules, audit, [motif], policy, now=later + timedelta(days=1))
    assert again.decisions == []
    fresh = mk(sessions=("s1", "s2", "s9"), last_seen=later)
    report = _run(rules, audit, [fresh], policy, now=later + timedelta(days=1))
    assert [d.action for d in report.decisions] == ["reinforce"]
    assert load_rule(rules / "R-0001.md").flags == []


def test_erased_evidence_proposes_retirement(mk, rules_ws, policy) -> None:
    rules, audit = rules_ws
    _run(rules, audit, [mk()], policy)
    report = _run(rules, audit, [], policy, live_sessions={"s2", "unrelated"})
    assert [d.action for d in report.decisions] == ["erase_evidence"]
    assert load_rule(rules / "R-0001.md").evidence.sessions == ["s2"]
    report = _run(rules, audit, [], policy, live_sessions=set())
    assert [d.action for d in report.decisions] == ["erase_evidence", "propose_retirement"]
    rule = load_rule(rules / "R-0001.md")
    assert rule.evidence.sessions == [] and rule.flags[0].reason == "all of its evidence was erased"


def _planted(rules: Path, rid: str, directive: str, sessions: list[str]) -> None:
    from reverie.rulebook.rules import Evidence

    write_rule(
        rules,
        Rule(
            id=rid,
            title=f"planted {rid}",
            directive=directive,
            when="Always.",
            because="Planted.",
            scope=Scope(tenant="default", agents="fleet"),
            confidence=0.6,
            created=T0,
            updated=T0,
            evidence=Evidence(motif_id=f"m-{rid}", sessions=sessions, last_seen=T0),
        ),
    )


def test_contradictions_are_flagged_with_both_evidence_sets(rules_ws, policy) -> None:
    rules, audit = rules_ws
    _planted(rules, "R-0001", "Always use `uv` to install packages.", ["a1", "a2"])
    _planted(rules, "R-0002", "Never use `uv` to install packages.", ["b1", "b2"])
    _planted(rules, "R-0003", "Run `mix format` before `git commit`.", ["c1"])
    _planted(rules, "R-0004", "Run `git commit` before `mix format`.", ["d1"])
    _planted(rules, "R-0005", "Read a file before editing it.", ["e1"])
    report = _run(rules, audit, [], policy)
    flagged = sorted((d.rule_id, d.details["related"]) for d in report.decisions)
    assert flagged == [
        ("R-0001", "R-0002"),
        ("R-0002", "R-0001"),
        ("R-0003", "R-0004"),
        ("R-0004", "R-0003"),
    ]
    assert {d.action for d in report.decisions} == {"flag_conflict"}
    flag = load_rule(rules / "R-0002.md").flags[0]
    assert flag.kind == "conflict" and flag.related == ["R-0001"]
    assert flag.details["evidence"]["R-0001"]["sessions"] == ["a1", "a2"]
    assert flag.details["evidence"]["R-0002"]["sessions"] == ["b1", "b2"]
    assert load_rule(rules / "R-0005.md").flags == []
    assert _run(rules, audit, [], policy).decisions == []


def test_near_duplicates_get_a_merge_proposal(rules_ws, policy) -> None:
    rules, audit = rules_ws
    _planted(rules, "R-0001", "Run `mix format` before committing.", ["a1"])
    _planted(rules, "R-0002", "Always run `mix format` before you commit.", ["b1"])
    report = _run(rules, audit, [], policy)
    assert [(d.rule_id, d.action) for d in report.decisions] == [
        ("R-0001", "propose_merge"),
        ("R-0002", "propose_merge"),
    ]


def test_cross_agent_motif_promotes_scope_to_fleet_within_tenant(mk, rules_ws, policy) -> None:
    rules, audit = rules_ws
    _run(rules, audit, [mk()], policy)
    assert load_rule(rules / "R-0001.md").scope.agents == ["claude-code"]
    shared = mk(
        sessions=("s1", "s2", "s3"),
        agents=("claude-code", "codex"),
        last_seen=T0 + timedelta(days=2),
    )
    other_tenant = mk(tenant="globex", sessions=("g1", "g2"), agents=("x", "y"))
    report = _run(rules, audit, [shared, other_tenant], policy, now=T0 + timedelta(days=3))
    assert [d.action for d in report.decisions] == ["reinforce", "promote_fleet"]
    rule = load_rule(rules / "R-0001.md")
    assert rule.scope.agents == "fleet" and rule.scope.tenant == "default"
    assert [r.scope.tenant for r in load_rules(rules)] == ["default"]


def test_dry_run_writes_nothing(mk, rules_ws, policy) -> None:
    rules, audit = rules_ws
    report = _run(rules, audit, [mk()], policy, dry_run=True)
    assert [d.action for d in report.decisions] == ["propose"] and report.written == []
    assert list(rules.glob("*")) == [] and not audit.path.exists()


def test_auto_approve_policy_and_quarantine(mk, rules_ws) -> None:
    rules, audit = rules_ws
    policy = DreamPolicy(
        min_sessions=2, auto_approve=True, auto_approve_confidence=0.5, auto_approve_trust=0.5
    )
    trusted = mk(sessions=("s1", "s2", "s3", "s4"))
    low = mk(signature="low", program="npm test", mean_trust=0.3, fix=None)
    flagged = mk(signature="inj", program="curl", flags=("possible_injection",))
    report = _run(rules, audit, [trusted, low, flagged], policy)
    by_rule = {r.evidence.motif_id: r for r in load_rules(rules)}
    assert by_rule[trusted.id].status == "approved"
    assert by_rule[trusted.id].history[-1].actor == "dream (auto-approve policy)"
    assert by_rule[low.id].status == "quarantined"
    assert "low-trust evidence" in by_rule[low.id].history[-1].reason
    assert by_rule[flagged.id].status == "quarantined"
    assert "possible_injection" in by_rule[flagged.id].history[-1].reason
    actions = sorted(d.action for d in report.decisions)
    assert actions == ["auto_approve", "propose", "propose", "propose", "quarantine", "quarantine"]


def test_external_only_evidence_is_quarantined(mk, rules_ws, policy) -> None:
    rules, audit = rules_ws
    motif = mk(fix=None)

    def external(m: Motif) -> list[EvidenceItem]:
        return [EvidenceItem(role="failure", trust="external", text="page says: run it")]

    _run(rules, audit, [motif], policy, evidence_for=external)
    rule = load_rule(rules / "R-0001.md")
    assert rule.status == "quarantined" and "external" in rule.history[-1].reason


def test_confidence_stays_below_auto_approve_without_a_recurring_fix(mk, policy) -> None:
    many = tuple(f"s{i}" for i in range(12))
    generic = mk(sessions=many, fix=None)
    user = mk(sessions=many, kind="correction", fix="no, use make clean instead")
    fixed = mk(sessions=many)
    assert confidence(generic, policy) < 0.6 and confidence(user, policy) < 0.6
    assert confidence(fixed, policy) > 0.9
    one_session = fixed.model_copy(update={"recovery": {
        **fixed.recovery, "basis": "command", "value": "mix format", "sessions": 1,
        "consistent": False}})
    assert confidence(one_session, policy) == confidence(generic, policy)
