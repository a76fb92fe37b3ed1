"""One planted fix of each class, mined and dreamed: what each rule must (not) say.

The corpus (:mod:`reverie.testing.planted_fixes`) plants the cases of
``tests/rules/gold/README.md`` ("Planted cases for the generated corpora"),
each in 4 sessions of 4 agents with every variable part changed per occurrence.
It is mined at ``min_sessions=2`` and dreamed with the offline distiller and
the auto-approve policy on, into a rule book without the seeded rules (so the
``mix format`` case gets a rule of its own; the CLI test checks the seeded
merge). Per case: the motif's fix class, the facts, the directive (exactly,
where the facts determine it), what the rule must not say; over the whole
book: no placeholder, nothing vacuous, no unflagged destructive advice, and
timeouts and syntax errors never counted as fixes (issue 13).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reverie.audit.log import AuditLog
from reverie.cli import app
from reverie.mine import mine
from reverie.models import Motif
from reverie.rulebook.dream import DreamPolicy, dream
from reverie.rulebook.evidence import event_refs, evidence_items, fetch_events
from reverie.rulebook.rules import Rule, load_rules
from reverie.store import open_store
from reverie.testing.planted_fixes import CASES, FixCase, fix_sessions, planted_in, write_fix_corpus
from reverie.workspace import init_workspace

TENANT = "default"
SESSIONS, SEED = 12, 5
NOW = datetime(2025, 3, 2, tzinfo=UTC)  # the day after the corpus
RETRY_KINDS = ("timeout", "syntax_error")
PLACEHOLDER = re.compile(r"<(?:\*|[A-Z][A-Z0-9_]*)>")
VACUOUS = re.compile(
    r"preconditions|\bbe careful\b|\bchang(?:e|ed|ing) (?:the |its )?arguments\b", re.I
)
NEGATION = re.compile(
    r"\b(?:not|never|no|don't|do not|avoid|instead of|rather than|without)\b", re.I
)
DESTRUCTIVE = re.compile(
    r"\brm\b|\bgit reset --hard\b|\bgit clean\b|--force\b|--no-verify\b|"
    r"\bsudo\b|\bchmod\s+(?:-R\s+)?777\b|\bdelete\b",
    re.I,
)
BY_NAME = {c.name: c for c in CASES}


@dataclass(frozen=True)
class Expect:
    """What a planted case's rule must say: the facts mined, the directive, the reason."""

    facts: dict[str, object] = field(default_factory=dict)
    directive: str | None = None  # exactly, where the facts determine it
    must_name: tuple[tuple[str, ...], ...] = ()  # groups: the directive holds one of each
    because_names: tuple[tuple[str, ...], ...] = ()
    must_not_say: tuple[str, ...] = ()  # regexes, in the directive, when and because
    advice_not: tuple[str, ...] = ()  # regexes the directive must not recommend


QUOTE = "don't push to main, open a pull request"
EXPECT = {
    "docker-login": Expect(
        {"failed": "docker push", "fix": "docker login", "verified": True, "destructive": []},
        "Run `docker login` before `docker push`.",
        must_not_say=(r"add `login`", r"add .?login.? (when|to)"),
    ),
    "mix-format": Expect(
        {"failed": "git commit", "fix": "mix format", "verified": True},
        "Run `mix format` before `git commit`.",
    ),
    "npx-tsc": Expect(
        {"failed": "tsc", "fix": "npx tsc", "verified": True},
        "Run `npx tsc`, not `tsc`.",
        must_not_say=(r"add `npx`", r"add .?npx.? (when|to)"),
    ),
    "credo-strict": Expect(
        {
            "failed": "mix credo",
            "fix": "mix credo --strict",
            "flag": "--strict",
            "flag_action": "added",
            "verified": True,
        },
        "Run `mix credo --strict`, not `mix credo`.",
        advice_not=(r"mix credo(?! --strict)",),
    ),
    "ticket-status": Expect(
        {"failed": "update_ticket", "argument": "status", "value": "closed"},
        # which argument, and to what: the value outside the quoted error
        must_name=(("`status`",), ("`closed`", '"closed"', "to closed")),
        must_not_say=(r"chang(e|ed) (the )?arguments", r"nothing in common"),
    ),
    "webfetch-gh-api": Expect(
        {"failed": "WebFetch", "fix": "gh api", "verified": True},
        "Use `gh api` instead of `WebFetch` where `WebFetch` fails with "
        "'Request failed with status code 429'.",
    ),
    "no-push-to-main": Expect(
        {"failed": "git push", "rejected": "git push", "quote": QUOTE},
        f'Before `git push`, do what the user asked: "{QUOTE}".',
        must_name=(("pull request",), ("main",)),
        because_names=((QUOTE,),),
        must_not_say=(r"confirm with the user", r"ask (the user )?for confirmation", r"git status"),
    ),
    "make-test-timeout": Expect(
        {"failed": "make test", "fix": None, "flag": None, "sessions": 0},
        because_names=(("make test",),),
        must_not_say=(r"-j1",),
    ),
    "psql-syntax-error": Expect(
        {"failed": "psql", "fix": None, "flag": None, "sessions": 0},
        because_names=(("psql",), ("Connection refused", "connection refused")),
        must_not_say=(r"chang(e|ed) .?(command|arguments)", r"-h"),
    ),
    "create-exists": Expect(
        {"failed": "create", "fix": "rm", "destructive": ["deletes files (rm)"]},
        # only where overwriting was intended (gold README, case 10)
        must_name=(("rm",), ("create",), ("overwrit", "replace")),
        must_not_say=(r"whenever .{0,40}(fails|already exists)",),
    ),
    "pytest-no-fix": Expect(
        {"failed": "pytest", "fix": None, "sessions": 0},
        because_names=(("test_login",), ("401",)),
    ),
    "read-glob-path": Expect(
        {"failed": "Read", "argument": "file_path", "helper": "Glob", "verified": True},
        "Call `Glob` before `Read` and set its `file_path` argument from the result.",
    ),
}
WITH_FIX = [c.name for c in CASES if c.cls != "none"]
NO_FIX = [c.name for c in CASES if c.cls == "none"]
FAILED_RETRY = {"make-test-timeout": "timeout", "psql-syntax-error": "syntax_error"}


@dataclass
class Book:
    motifs: list[Motif]
    rules: list[Rule]

    def motif(self, case: FixCase) -> Motif:
        """The motif of the case's failing call (not of its failed retry)."""
        found = [
            m
            for m in self.motifs
            if m.tool == case.tool and m.program == case.program and m.kind not in RETRY_KINDS
        ]
        assert len(found) == 1, (case.name, [(m.kind, m.template) for m in found])
        return found[0]

    def rule(self, case: FixCase) -> Rule:
        motif = self.motif(case)
        found = [r for r in self.rules if r.evidence.motif_id == motif.id]
        assert len(found) == 1, (case.name, motif.facts)
        return found[0]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    """The corpus mined and dreamed once (auto-approve on), into a book without seeds."""
    settings = init_workspace(tmp_path_factory.mktemp("fixes") / "ws")
    rules_dir = settings.root / "book" / "rules"
    rules_dir.mkdir(parents=True)
    store = open_store(settings)
    try:
        write_fix_corpus(store, TENANT, sessions=SESSIONS, seed=SEED)
        motifs = mine(store, TENANT, min_sessions=2)
        dream(
            rules_dir=rules_dir,
            audit=AuditLog(settings.root / "book" / "state"),
            tenant=TENANT,
            motifs=motifs,
            now=NOW,
            policy=DreamPolicy(min_sessions=2, auto_approve=True),
            evidence_for=lambda m: evidence_items(m, fetch_events(store, TENANT, event_refs(m))),
        )
    finally:
        store.close()
    return Book(motifs, load_rules(rules_dir, TENANT))


def _texts(rule: Rule) -> dict[str, str]:
    return {
        "directive": rule.directive,
        "when": rule.when,
        "because": rule.because,
        "title": rule.title,
    }


def _flags(rule: Rule) -> set[str]:
    return {f.kind for f in rule.flags}


def _sentences(rule: Rule) -> list[str]:
    return [s for s in re.split(r"(?<=[.;])\s+", rule.directive) if s]


def _missing(groups: tuple[tuple[str, ...], ...], text: str) -> list[tuple[str, ...]]:
    return [g for g in groups if not any(alt.lower() in text.lower() for alt in g)]


# --------------------------------------------------------------------------- the corpus


def test_corpus_is_deterministic_and_varies_every_occurrence() -> None:
    def commands(seed: int) -> list[str]:
        return [
            json.dumps(e.tool_input, sort_keys=True)
            for s in fix_sessions(SESSIONS, seed)
            for e in s.events
            if e.kind == "tool_call"
        ]

    assert commands(SEED) == commands(SEED) and commands(SEED) != commands(SEED + 1)
    pushes = [c for c in commands(SEED) if "docker push" in c and "login" not in c]
    tickets = [c for c in commands(SEED) if '"resolved"' in c]
    assert len(pushes) == len(set(pushes)) == 4 and len(tickets) == len(set(tickets)) == 4
    assert set(EXPECT) == set(BY_NAME) and len(CASES) == 12


def test_every_case_recurs_across_sessions_and_agents() -> None:
    agents = {s.session.native_id: s.session.agent for s in fix_sessions(SESSIONS, SEED)}
    for name, where in planted_in(SESSIONS).items():
        assert len(where) == 4, name
        assert len({agents[f"fix-{SEED}-{i}"] for i in where}) == 4, name


@pytest.mark.parametrize("name", list(BY_NAME))
def test_each_case_is_one_motif_that_keeps_its_error(book: Book, name: str) -> None:
    case = BY_NAME[name]
    motif = book.motif(case)
    assert len(motif.sessions) == 4 and len(motif.agents) == 4
    assert case.marker in motif.template, motif.template  # the decisive line, not a progress line


# --------------------------------------------------------------------------- facts and directives


@pytest.mark.parametrize("name", list(BY_NAME))
def test_motif_facts_have_the_planted_class_and_values(book: Book, name: str) -> None:
    case = BY_NAME[name]
    facts = book.motif(case).facts
    got = {k: facts.get(k) for k in ("cls", *EXPECT[name].facts)}
    assert got == {"cls": case.cls, **EXPECT[name].facts}


@pytest.mark.parametrize("name", WITH_FIX)
def test_directive_names_the_planted_facts(book: Book, name: str) -> None:
    expect, rule = EXPECT[name], book.rule(BY_NAME[name])
    assert "needs-directive" not in _flags(rule), (rule.because, book.motif(BY_NAME[name]).facts)
    if expect.directive is not None:
        assert rule.directive == expect.directive
    assert not _missing(expect.must_name, rule.directive), rule.directive
    assert not _missing(expect.because_names, rule.because), rule.because


@pytest.mark.parametrize("name", list(BY_NAME))
def test_rule_says_nothing_it_must_not(book: Book, name: str) -> None:
    expect, rule = EXPECT[name], book.rule(BY_NAME[name])
    for pattern in expect.must_not_say:
        hits = {k: v for k, v in _texts(rule).items() if re.search(pattern, v, re.I)}
        assert not hits, (pattern, hits)
    for pattern in expect.advice_not:
        advised = [
            s for s in _sentences(rule) if re.search(pattern, s, re.I) and not NEGATION.search(s)
        ]
        assert not advised, (pattern, rule.directive)


@pytest.mark.parametrize("name", NO_FIX)
def test_without_a_fix_the_rule_waits_for_a_reviewer(book: Book, name: str) -> None:
    rule = book.rule(BY_NAME[name])
    assert rule.directive == "" and "needs-directive" in _flags(rule)
    assert rule.status == "proposed"  # never auto-approved
    assert not _missing(EXPECT[name].because_names, rule.because), rule.because


@pytest.mark.parametrize("name", sorted(FAILED_RETRY))
def test_a_retry_that_timed_out_or_hit_a_syntax_error_is_no_fix(book: Book, name: str) -> None:
    case = BY_NAME[name]
    motif = book.motif(case)
    assert motif.recovery["fix"] is None and motif.recovery["recovered"] == 0.0, motif.recovery
    retried = [m for m in book.motifs if m.program == case.program and m.id != motif.id]
    assert [m.kind for m in retried] == [FAILED_RETRY[name]]  # the retry is a failure itself
    assert retried[0].facts["cls"] == "none"


def test_destructive_fix_is_flagged_never_approved_and_less_confident(book: Book) -> None:
    (destructive,) = [c for c in CASES if c.destructive]
    rule, safe = book.rule(destructive), book.rule(BY_NAME["docker-login"])
    assert "destructive" in _flags(rule) and rule.status != "approved"
    assert rule.confidence < safe.confidence and safe.status == "approved"


# --------------------------------------------------------------------------- the whole book


def test_no_rule_shows_a_placeholder_or_is_vacuous(book: Book) -> None:
    assert len(book.rules) >= len(CASES)
    found = [
        (r.id, name, text)
        for r in book.rules
        for name, text in _texts(r).items()
        if PLACEHOLDER.search(text) or (name == "directive" and VACUOUS.search(text))
    ]
    assert not found, "\n".join(map(str, found))


def test_no_rule_quotes_the_scaffolds_wrapping_of_an_error(book: Book) -> None:
    """Claude Code's "Exit code N" line and its <tool_use_error> tags are not the error."""
    found = [
        (r.id, name, text)
        for r in book.rules
        for name, text in _texts(r).items()
        if re.search(r"Exit code \d|</?tool_use_error>", text)
    ]
    assert not found, "\n".join(map(str, found))


def test_no_directive_recommends_an_unflagged_destructive_command(book: Book) -> None:
    found = [
        (r.id, r.directive)
        for r in book.rules
        if "destructive" not in _flags(r)
        and any(DESTRUCTIVE.search(s) and not NEGATION.search(s) for s in _sentences(r))
    ]
    assert not found, "\n".join(map(str, found))


def test_cli_dream_merges_the_mix_format_case_into_the_seeded_rule(cli, workspace) -> None:
    store = open_store(workspace)
    try:
        write_fix_corpus(store, TENANT, sessions=SESSIONS, seed=SEED)
    finally:
        store.close()
    root = str(workspace.root)
    result = cli.invoke(app, ["dream", "--min-sessions", "2", "--json", "-w", root])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    merged = [d for d in report["decisions"] if d["action"] == "merge_into_seeded"]
    assert [(d["rule_id"], d["details"]["fix"], d["details"]["failed"]) for d in merged] == [
        ("R-0001", "mix format", "git commit")
    ]
    rules = load_rules(Path(root) / "rules", TENANT)
    assert "Run `docker login` before `docker push`." in {r.directive for r in rules}
    assert not any("`mix format`" in r.directive for r in rules if not r.seeded)
