"""The rules the demo proposes from the real sample sessions, read as a reviewer would.

One demo run (ingest every real format, mine, dream with the demo's policy:
auto-approve at confidence 0.6) and checks that each directive says what
actually fixed its failure, quotes no user, names no no-op tool, leaks no
record id, and that only rules resting on a fix that recurred across
sessions reach the auto-approve threshold.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reverie.demo import run_demo
from reverie.mine.fixes import NOOP_TOOLS
from reverie.models import Motif
from reverie.rulebook import Rule, load_rules
from reverie.settings import load_settings
from reverie.store import open_store

pytestmark = pytest.mark.slow
FLIGHT_LIKE = re.compile(r"\b[A-Z]{2,3}\d{3,4}\b")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, real_data: Path):
    root = tmp_path_factory.mktemp("demo")
    result = run_demo(root, real_data)
    settings = load_settings(root)
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
    assert result.ingest.sessions >= 100 and mined
    return mined, motifs, users


def _motif(rule: Rule, motifs: dict[str, Motif]) -> Motif:
    return motifs[rule.evidence.motif_id]


def test_pre_commit_checks_each_get_the_command_that_fixed_them(demo) -> None:
    mined, motifs, _ = demo
    by_check = {}
    for rule in mined:
        template = _motif(rule, motifs).template
        if template.startswith("Pre-commit validation failed"):
            by_check[template.split("[")[1].split("]")[0]] = rule
    assert {k: r.directive for k, r in by_check.items()} == {
        "FORMAT": "Run `mix format` before running `git commit`.",
        "CREDO": "Run `mix credo` before running `git commit`.",
        "DIALYZER": "Run `mix dialyzer` before running `git commit`.",
    }
    for rule in by_check.values():
        rec = _motif(rule, motifs).recovery
        assert rec["named"] and rec["sessions"] == len(rule.evidence.sessions) == 2


def test_directives_are_distinct_and_one_per_fix(demo) -> None:
    mined, motifs, _ = demo
    directives = [r.directive for r in mined]
    assert len(set(directives)) == len(directives), directives
    fixed = [r for r in mined if _motif(r, motifs).recovery.get("consistent")]
    fixes = {(m.program or m.tool, m.template, m.recovery["basis"], m.recovery["value"])
             for m in (_motif(r, motifs) for r in fixed)}
    assert len({r.directive for r in fixed}) == len(fixes) >= 6


def test_no_op_tools_are_never_a_fix(demo) -> None:
    mined, _, _ = demo
    noop = re.compile(r"`(\w+)`")
    for rule in mined:
        named = {w.lower() for w in noop.findall(rule.directive + " " + rule.because)}
        assert not named & NOOP_TOOLS, rule.directive
    booking = next(r for r in mined if r.scope.tools == ["book_reservation"])
    assert "`payment_methods`" in booking.directive and "think" not in booking.directive
    assert booking.status == "approved"


def test_no_directive_quotes_a_user(demo) -> None:
    mined, _, users = demo
    grams = set()
    for text in users:
        words = text.lower().split()
        grams.update(" ".join(words[i : i + 6]) for i in range(len(words) - 5))
    assert grams, "the sample has user turns"
    for rule in mined:
        for field in (rule.directive, rule.because, rule.title):
            words = field.lower().split()
            found = {" ".join(words[i : i + 6]) for i in range(len(words) - 5)} & grams
            assert not found, (rule.id, found)
        assert "user's earlier correction" not in rule.directive


def test_no_record_id_survives_in_templates_or_rules(demo) -> None:
    mined, motifs, _ = demo
    texts = [m.template for m in motifs.values()]
    texts += [r.directive for r in mined] + [r.because for r in mined]
    leaked = [FLIGHT_LIKE.findall(t) for t in texts if FLIGHT_LIKE.search(t)]
    assert leaked == []
    assert any("flight <ID>" in t for t in texts)  # the flight numbers were there, masked


def test_only_rules_resting_on_a_recurring_fix_reach_the_auto_approve_threshold(demo) -> None:
    mined, motifs, _ = demo
    for rule in mined:
        rec = _motif(rule, motifs).recovery
        if not rec.get("consistent"):
            assert rule.confidence < 0.6 and rule.status == "proposed", rule.directive
            assert rule.directive.startswith(("Check the preconditions", "Confirm with the user"))
        if rule.status == "approved":
            assert rec["consistent"] and rule.confidence >= 0.6
    grep = [r for r in mined if "`grep`" in r.directive or "`nl`" in r.directive]
    assert grep == []  # ordinary exploration is no fix
    python = next(r for r in mined if _motif(r, motifs).program == "python")
    assert python.directive.startswith("Check the preconditions of `python`")
