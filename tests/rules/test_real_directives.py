"""The rules the demo proposes from the real sample sessions, read as a reviewer would.

One demo run (ingest every real format, mine, dream with the demo's policy:
auto-approve at confidence 0.6) and checks, against the rubric in
``../shared/RULE-RUBRIC.md``, the properties every rule must have: a directive
names the observed fix with its flags (or is empty and flagged
``needs-directive`` when no fix recurred), is never vacuous and shows no
mining placeholder; a fix that restates a seeded rule is merged into it;
a user's words appear only as the quote of a user-correction rule; no no-op
tool is a fix; no record id leaks; and only a verified recurring fix or an
environment fact reaches auto-approve. Which rule each motif must give, fact
by fact, is the gold set's job (``test_gold_real.py``), not this file's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reverie.audit.log import AuditLog
from reverie.demo import run_demo
from reverie.mine.facts import FixFacts, names_a_fact
from reverie.mine.fixes import NOOP_TOOLS
from reverie.models import Motif
from reverie.rulebook.rules import Rule, load_rules
from reverie.settings import load_settings
from reverie.store import open_store

pytestmark = pytest.mark.slow
FLIGHT_LIKE = re.compile(r"\b[A-Z]{2,3}\d{3,4}\b")
PLACEHOLDER = re.compile(r"<(?:STR|PATH|NUM|ID|HEX|URL|TIME|\*)>")
VACUOUS = ("precondition", "be careful", "confirm with the user", "check that it")
THRESHOLD = 0.6  # the demo's [dream] auto_approve_confidence
REPO_RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, real_data: Path):
    root = tmp_path_factory.mktemp("demo")
    result = run_demo(root, real_data)
    settings = load_settings(root)
    assert settings.dream.auto_approve_confidence == THRESHOLD
    store = open_store(settings)
    try:
        motifs = {m.id: m for m in store.motifs(settings.tenant)}
        users = [
            ev.text or "" for ev in store.failure_candidates(settings.tenant)
            if ev.kind == "message" and ev.role == "user"
        ]
    finally:
        store.close()
    mined = [r for r in load_rules(settings.rules_dir, settings.tenant) if not r.seeded]
    audit = list(AuditLog(settings.state_dir).entries(settings.tenant))
    assert result.ingest.sessions >= 100 and mined
    return {"mined": mined, "motifs": motifs, "users": users, "audit": audit, "root": root,
            "rules_dir": settings.rules_dir}


def _motif(rule: Rule, motifs: dict[str, Motif]) -> Motif:
    return motifs[rule.evidence.motif_id]


def _facts(rule: Rule, motifs: dict[str, Motif]) -> FixFacts:
    return FixFacts.model_validate(_motif(rule, motifs).facts)


def _check(template: str) -> str | None:
    """The pre-commit check a failure names: ``FORMAT`` of '...[FORMAT] Code is not ...'."""
    found = re.match(r"Pre-commit validation failed:\s*\[(\w+)\]", template)
    return found.group(1) if found else None


def test_pre_commit_checks_get_the_command_that_fixed_them(demo) -> None:
    motifs = demo["motifs"]
    by_check = {_check(_motif(r, motifs).template): r for r in demo["mined"]}
    by_check.pop(None, None)
    # the agents ran `mix credo --strict` (never bare `mix credo`) before the commit passed
    assert by_check["CREDO"].directive == "Run `mix credo --strict` before `git commit`."
    assert by_check["DIALYZER"].directive.startswith("Run `mix dialyzer")
    assert by_check["DIALYZER"].directive.endswith(" before `git commit`.")
    for rule in by_check.values():
        rec = _motif(rule, motifs).recovery
        assert rec["named"] and rec["sessions"] == len(rule.evidence.sessions) == 2
        assert _facts(rule, motifs).verified and not rule.flags
    # formatting first restates seeded R-0001: merged into it, no rule of its own
    assert "FORMAT" not in by_check
    assert not [r for r in demo["mined"] if "`mix format`" in r.directive]
    merged = [e for e in demo["audit"] if e.action == "merge_into_seeded"]
    fmt = [e for e in merged if _check(demo["motifs"][e.motif_id].template) == "FORMAT"]
    assert [(e.rule_id, e.details["fix"], e.details["failed"]) for e in fmt] == [
        ("R-0001", "mix format", "git commit")
    ]
    shipped = (REPO_RULES / "R-0001.md").read_bytes()
    assert (demo["rules_dir"] / "R-0001.md").read_bytes() == shipped


def test_a_flag_named_by_a_directive_was_used_in_every_session_it_fixed(demo) -> None:
    motifs = demo["motifs"]
    dialyzer = next(r for r in demo["mined"] if _check(_motif(r, motifs).template) == "DIALYZER")
    assert dialyzer.directive == "Run `mix dialyzer` before `git commit`."


def test_every_directive_names_its_fix_or_waits_for_a_reviewer(demo) -> None:
    motifs = demo["motifs"]
    for rule in demo["mined"]:
        facts = _facts(rule, motifs)
        text = " ".join((rule.title, rule.directive, rule.when, rule.because))
        assert not PLACEHOLDER.search(text), (rule.id, text)
        assert not any(v in text.lower() for v in VACUOUS), (rule.id, text)
        if rule.needs_directive:
            assert rule.directive == "" and rule.status != "approved", rule.id
        else:
            assert rule.directive and names_a_fact(rule.directive, facts), (rule.id, facts)
        if facts.cls == "none":  # no fix recurred: nothing for a directive to name
            assert rule.needs_directive, rule.id
    waiting = [r for r in demo["mined"] if r.needs_directive]
    assert waiting and len(waiting) < len(demo["mined"])
    python = next(r for r in demo["mined"] if _motif(r, motifs).program == "python")
    assert python.needs_directive and python.directive == ""


def test_directives_are_distinct_and_one_per_fix(demo) -> None:
    motifs = demo["motifs"]
    written = [r for r in demo["mined"] if r.directive]
    directives = [r.directive for r in written]
    assert len(set(directives)) == len(directives), directives
    fixes = set()
    for rule in written:
        f = _facts(rule, motifs)
        subjects = tuple(f.cause.subjects) if f.cause and f.cls == "environment" else ()
        fixes.add((f.failed, _motif(rule, motifs).template, f.cls, f.fix, f.flag, f.argument,
                   f.helper, subjects))
    assert len(fixes) == len(written) >= 6


def test_no_op_tools_are_never_a_fix(demo) -> None:
    mined, motifs = demo["mined"], demo["motifs"]
    noop = re.compile(r"`(\w+)`")
    for rule in mined:
        named = {w.lower() for w in noop.findall(rule.directive + " " + rule.because)}
        assert not named & NOOP_TOOLS, rule.directive
        assert (_facts(rule, motifs).fix or "").lower() not in NOOP_TOOLS
    # the booking's payment changed between the failure and the retry (after a `think` call);
    # the rule names that argument, never the no-op tool, and the values had nothing in
    # common, so there is no directive to approve yet
    booking = next(r for r in mined if r.scope.tools == ["book_reservation"])
    assert "`payment_methods`" in booking.because and "think" not in booking.because
    assert booking.needs_directive and booking.status == "proposed"


def test_a_users_words_appear_only_as_the_quote_of_a_correction(demo) -> None:
    mined, motifs = demo["mined"], demo["motifs"]
    grams = set()
    for text in demo["users"]:
        words = text.lower().split()
        grams.update(" ".join(words[i : i + 6]) for i in range(len(words) - 5))
    assert grams, "the sample has user turns"
    for rule in mined:
        facts = _facts(rule, motifs)
        quote = (facts.quote or "").lower() if facts.cls == "user" else ""
        for field in (rule.directive, rule.because, rule.title):
            words = field.lower().split()
            found = {" ".join(words[i : i + 6]) for i in range(len(words) - 5)} & grams
            assert all(g in quote for g in found), (rule.id, found)


def test_no_record_id_survives_in_templates_or_rules(demo) -> None:
    mined, motifs = demo["mined"], demo["motifs"]
    texts = [m.template for m in motifs.values()]
    texts += [r.directive for r in mined] + [r.because for r in mined] + [r.title for r in mined]
    leaked = [FLIGHT_LIKE.findall(t) for t in texts if FLIGHT_LIKE.search(t)]
    assert leaked == []
    assert any("flight <ID>" in t for t in texts)  # the flight numbers were there, masked


def test_only_a_verified_fix_or_an_environment_fact_reaches_auto_approve(demo) -> None:
    mined, motifs = demo["mined"], demo["motifs"]
    for rule in mined:
        facts = _facts(rule, motifs)
        resting = facts.cls == "environment" or (facts.cls != "none" and facts.verified)
        if facts.cls == "none":  # 0.5 x (1 - 0.6^sessions) x trust < 0.5: never near it
            assert rule.confidence < 0.5, rule.id
        if rule.destructive:
            assert facts.destructive and rule.status != "approved", rule.id
        if rule.status == "approved":
            assert resting and rule.directive and not rule.needs_directive, rule.id
            assert not rule.destructive and rule.confidence >= THRESHOLD, rule.id
            assert rule.history[-1].action == "auto_approve", rule.id
    approved = [r for r in mined if r.status == "approved"]
    assert approved and any(_facts(r, motifs).cls == "environment" for r in approved)
    grep = [r for r in mined if "`grep`" in r.directive or "`nl`" in r.directive]
    assert grep == []  # ordinary exploration is no fix


def test_the_missing_jdk_is_one_environment_rule_that_stays_with_its_agents(demo) -> None:
    mined, motifs = demo["mined"], demo["motifs"]
    java = [r for r in mined if "`javac`" in r.directive]
    assert len(java) == 1, [r.directive for r in java]
    (rule,) = java
    facts = _facts(rule, motifs)
    assert facts.cls == "environment" and facts.cause and facts.cause.group == "java"
    assert {"javac", "java", "mvn"} <= set(facts.cause.subjects)
    assert rule.directive.startswith("Do not run `javac`") and "Java toolchain" in rule.directive
    assert rule.scope.agents != "fleet" and len(rule.scope.agents) == 5  # where it was met


def test_needs_directive_rules_render_nowhere(demo) -> None:
    text = (demo["root"] / "CLAUDE.md").read_text(encoding="utf-8")
    for rule in demo["mined"]:
        if rule.needs_directive or rule.status != "approved":
            assert f"Source: {rule.id} v" not in text, rule.id
