"""The rule book's states for issue 13: needs-directive, destructive, merges, seeded restatements.

- A rule with no fix to name has an empty directive and the ``needs-directive``
  flag: its file round-trips byte for byte, it cannot be approved (by a review
  or by hand), it renders nowhere, and ``review edit --directive`` resolves it.
- A destructive fix is never auto-approved, whatever its confidence, and its
  confidence is halved; confidence depends on the class of fix.
- Rules saying the same thing are proposed for merging whatever their scope.
- A motif whose fix restates a seeded rule is merged into it: logged once in
  the tenant's audit log, no rule proposed, the shared seeded file untouched.
"""

from __future__ import annotations

import importlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reverie.audit.log import AuditLog
from reverie.cli import app
from reverie.errors import InputError
from reverie.rulebook.dream import DreamPolicy, confidence, dream
from reverie.rulebook.rules import (
    Evidence,
    Flag,
    Rule,
    Scope,
    load_rule,
    load_rules,
    render_rule,
    write_rule,
)
from reverie.settings import Settings

T0 = datetime(2026, 2, 12, 14, 22, tzinfo=UTC)  # make_motif's default last_seen
NOW = T0 + timedelta(days=1)
REPO_RULES = Path(__file__).resolve().parents[2] / "rules"
DOCKER = "Run `docker login` before `docker push`."
DREAM_MODULE = importlib.import_module("reverie.rulebook.dream")  # the package exports the function


def _waiting(rule_id: str = "R-0007", tenant: str = "default", **over: object) -> Rule:
    """A proposed rule whose motif showed no recurring fix: no directive yet."""
    data: dict = dict(
        id=rule_id,
        title="`docker push` fails: 'denied: requested access to the resource is denied'",
        directive="",
        when="Before running `docker push` with the Bash tool.",
        because="`docker push` failed with 'denied' in 3 sessions; no fix recurred across "
        "sessions, so a reviewer writes the directive.",
        scope=Scope(tenant=tenant, agents=["claude-code"], tools=["Bash"]),
        confidence=0.392,
        created=T0,
        updated=T0,
        evidence=Evidence(
            motif_id="m-docker",
            sessions=["s1", "s2", "s3"],
            support=3,
            trust_support=1.8,
            last_seen=T0,
        ),
        flags=[Flag(kind="needs-directive", reason="no fix recurred across sessions", at=T0)],
    )
    data.update(over)
    return Rule(**data)


def _ok(cli, *args: str, code: int = 0) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output)
    return result.output


# -- needs-directive -----------------------------------------------------------
def test_a_rule_waiting_for_its_directive_round_trips_byte_for_byte(tmp_path: Path) -> None:
    path = write_rule(tmp_path, _waiting(notes="Ask the platform team."))
    text = path.read_text()
    assert "\ndirective: ''\n" in text and "- kind: needs-directive" in text
    assert "**Directive:** none yet: no fix recurred." in text
    loaded = load_rule(path)
    assert loaded == _waiting(notes="Ask the platform team.") and loaded.needs_directive
    assert render_rule(loaded) == text
    mtime = path.stat().st_mtime_ns
    write_rule(tmp_path, loaded)
    assert path.stat().st_mtime_ns == mtime and path.read_text() == text


def test_a_directive_is_empty_exactly_while_the_flag_is_open(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="flag the rule needs-directive"):
        _waiting(flags=[])
    with pytest.raises(ValueError, match="cannot be needs-directive"):
        _waiting(directive=DOCKER)
    with pytest.raises(ValueError, match="approved needs a directive"):
        _waiting(status="approved")
    path = write_rule(tmp_path, _waiting())
    path.write_text(path.read_text().replace("status: proposed", "status: approved"))
    with pytest.raises(InputError, match="approved needs a directive") as info:
        load_rule(path)  # approving by hand is refused too, naming file and field
    assert info.value.file == str(path)


def test_waiting_rule_cannot_be_approved_renders_nowhere_and_an_edit_resolves_it(
    workspace: Settings, cli
) -> None:
    ws = workspace.root
    w = ["-w", str(ws), "--reviewer", "ana"]
    write_rule(workspace.rules_dir, _waiting())
    out = _ok(cli, "review", "approve", "R-0007", "--reason", "looks right", *w, code=2)
    assert "no directive yet" in out and "review edit R-0007 --directive" in " ".join(out.split())
    assert load_rule(workspace.rules_dir / "R-0007.md").status == "proposed"
    for template in ("claude_md", "system_prompt", "agents_md", "cursor_rules"):
        assert "R-0007" not in _ok(cli, "render", template, "-w", str(ws), "-a", "claude-code")

    _ok(
        cli,
        "review",
        "edit",
        "R-0007",
        "--directive",
        DOCKER,
        "--reason",
        "every session logged in and pushed again",
        *w,
    )
    rule = load_rule(workspace.rules_dir / "R-0007.md")
    assert rule.directive == DOCKER and not rule.needs_directive and rule.version == 2
    assert rule.status == "proposed"  # an edit writes the words; approval is its own decision
    last = rule.history[-1]
    assert last.action == "review.edit" and last.details["resolved"] == "needs-directive"
    assert last.details["changes"]["directive"] == {"old": "", "new": DOCKER}

    _ok(cli, "review", "approve", "R-0007", "--reason", "now it says what to do", *w)
    rendered = _ok(cli, "render", "claude_md", "-w", str(ws), "-a", "claude-code")
    assert DOCKER in rendered and "R-0007" in rendered
    actions = [e.action for e in AuditLog(workspace.state_dir).entries("default")]
    assert actions == ["review.edit", "review.approve"]


def test_an_edit_cannot_empty_a_directive(workspace: Settings, cli) -> None:
    write_rule(workspace.rules_dir, _waiting(directive=DOCKER, flags=[]))
    out = _ok(
        cli,
        "review",
        "edit",
        "R-0007",
        "--directive",
        "",
        "--reason",
        "x",
        "-w",
        str(workspace.root),
        "--reviewer",
        "ana",
        code=2,
    )
    assert "directive" in out
    assert load_rule(workspace.rules_dir / "R-0007.md").directive == DOCKER


def test_dream_proposes_a_waiting_rule_and_gives_it_a_directive_once_a_fix_recurs(
    mk, rules_ws, policy
) -> None:
    rules, audit = rules_ws
    unfixed = mk(program="docker push", fix=None, template="denied: requested access")
    dream(rules_dir=rules, audit=audit, tenant="default", motifs=[unfixed], now=NOW, policy=policy)
    rule = load_rule(rules / "R-0001.md")
    assert rule.directive == "" and rule.needs_directive and rule.status == "proposed"
    fixed = mk(
        program="docker push",
        fix="ran `docker login` first",
        template=unfixed.template,
        sessions=("s1", "s2", "s3"),
        last_seen=T0 + timedelta(days=2),
    )
    report = dream(
        rules_dir=rules,
        audit=audit,
        tenant="default",
        motifs=[fixed],
        now=NOW + timedelta(days=2),
        policy=policy,
    )
    assert [d.action for d in report.decisions] == ["reinforce", "add_directive"]
    rule = load_rule(rules / "R-0001.md")
    assert rule.directive == DOCKER and not rule.needs_directive


# -- destructive and confidence --------------------------------------------------
def test_destructive_fix_is_never_auto_approved_even_at_full_confidence(
    mk, rules_ws, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules, audit = rules_ws
    monkeypatch.setattr(DREAM_MODULE, "confidence", lambda motif, policy, *_: 1.0)
    policy = DreamPolicy(
        min_sessions=2, auto_approve=True, auto_approve_confidence=1.0, auto_approve_trust=0.0
    )
    forced = mk(
        signature="force",
        program="git push",
        fix="added `--force`",
        template="! [rejected] main -> main (non-fast-forward)",
    )
    safe = mk(
        signature="login",
        program="docker push",
        fix="ran `docker login` first",
        template="denied: requested access to the resource is denied",
    )
    report = dream(
        rules_dir=rules,
        audit=audit,
        tenant="default",
        motifs=[forced, safe],
        now=NOW,
        policy=policy,
    )
    by_motif = {r.evidence.motif_id: r for r in load_rules(rules)}
    risky, control = by_motif[forced.id], by_motif[safe.id]
    assert risky.directive.startswith("Run `git push --force`, not `git push`")
    assert risky.destructive and risky.confidence == 1.0 and risky.status == "proposed"
    assert "forces (git push --force)" in risky.open_flags("destructive")[0].reason
    assert control.status == "approved" and not control.destructive  # the policy is really on
    approved = [d.motif_id for d in report.decisions if d.action == "auto_approve"]
    assert approved == [safe.id]


def _environment(mk, **kw):
    motif = mk(program="javac", fix=None, template="javac: command not found", **kw)
    return motif.model_copy(update={"cause": {"kind": "missing_command", "subjects": ["javac"]}})


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # (1 - 0.6^3) = 0.784 for 3 sessions; trust at the reference weight (0.6 / 0.6)
        ("fixed in 3 of 3", 0.755),  # 0.784 x (0.7 + 0.15 x 3/3 + 0.15 x 0.75)
        ("fixed in 2 of 3", 0.715),  # 0.784 x (0.7 + 0.15 x 2/3 + 0.15 x 0.75)
        ("environment fact", 0.588),  # 0.784 x 0.75
        ("user's correction", 0.47),  # 0.784 x 0.6
        ("no fix", 0.392),  # 0.784 x 0.5
        ("destructive fix", 0.377),  # 0.784 x 0.9625 / 2
        ("no fix, low trust", 0.196),  # 0.784 x 0.5 x (0.3 / 0.6)
    ],
)
def test_confidence_depends_on_the_class_of_fix(mk, policy, case: str, expected: float) -> None:
    three = ("s1", "s2", "s3")
    motifs = {
        "fixed in 3 of 3": lambda: mk(sessions=three, fix="ran `docker login` first"),
        "fixed in 2 of 3": lambda: mk(
            sessions=three, fix="ran `docker login` first", fix_sessions=("s1", "s2")
        ),
        "environment fact": lambda: _environment(mk, sessions=three),
        "user's correction": lambda: mk(
            sessions=three, kind="correction", fix="don't push to main, open a pull request"
        ),
        "no fix": lambda: mk(sessions=three, fix=None),
        "destructive fix": lambda: mk(
            sessions=three, program="make", fix="ran `rm -rf _build` first"
        ),
        "no fix, low trust": lambda: mk(sessions=three, fix=None, mean_trust=0.3),
    }
    assert confidence(motifs[case](), policy) == expected


# -- merges ------------------------------------------------------------------------
def _planted(rules: Path, rid: str, directive: str, agents: list[str]) -> None:
    write_rule(
        rules,
        Rule(
            id=rid,
            title=f"planted {rid}",
            directive=directive,
            when="Always.",
            because="Planted.",
            scope=Scope(tenant="default", agents=agents, tools=["Bash"]),
            confidence=0.6,
            created=T0,
            updated=T0,
            evidence=Evidence(motif_id=f"m-{rid}", sessions=[f"{rid}-s"], last_seen=T0),
        ),
    )


def test_the_same_directive_in_other_agent_scopes_gets_a_merge_proposal(rules_ws, policy) -> None:
    rules, audit = rules_ws
    _planted(rules, "R-0001", DOCKER, ["alpha"])
    _planted(rules, "R-0002", "run `docker login` before `docker push`", ["beta"])
    _planted(rules, "R-0003", "Run `mix credo --strict` before `git commit`.", ["gamma"])
    report = dream(
        rules_dir=rules, audit=audit, tenant="default", motifs=[], now=NOW, policy=policy
    )
    assert [(d.rule_id, d.action, d.details["related"]) for d in report.decisions] == [
        ("R-0001", "propose_merge", ["R-0002"]),
        ("R-0002", "propose_merge", ["R-0001"]),
    ]
    flag = load_rule(rules / "R-0001.md").open_flags("merge")[0]
    assert flag.related == ["R-0002"] and flag.reason == "R-0001 says the same as R-0002"
    assert set(flag.details["evidence"]) == {"R-0001", "R-0002"}
    assert not load_rule(rules / "R-0003.md").flags
    again = dream(rules_dir=rules, audit=audit, tenant="default", motifs=[], now=NOW, policy=policy)
    assert again.decisions == []


@pytest.fixture
def seeded_ws(rules_ws) -> tuple[Path, AuditLog]:
    rules, audit = rules_ws
    for seed in REPO_RULES.glob("R-*.md"):
        shutil.copy(seed, rules)
    return rules, audit


def test_a_motif_restating_a_seeded_rule_is_merged_into_it_once(mk, seeded_ws, policy) -> None:
    rules, audit = seeded_ws
    before = {p.name: p.read_bytes() for p in rules.glob("*.md")}
    fmt = mk()  # `mix format` run before `git commit` in both sessions
    black = mk(signature="black", fix="ran `black .` first", template="would reformat x.py")
    report = dream(
        rules_dir=rules, audit=audit, tenant="default", motifs=[fmt, black], now=NOW, policy=policy
    )
    assert [(d.action, d.rule_id) for d in report.decisions] == [
        ("merge_into_seeded", "R-0001"),
        ("merge_into_seeded", "R-0001"),
    ]
    assert report.decisions[0].details == {
        "sessions": 2,
        "agents": ["claude-code"],
        "fix": "mix format",
        "failed": "git commit",
    }
    assert report.written == []
    assert {p.name: p.read_bytes() for p in rules.glob("*.md")} == before  # nothing written
    entries = list(audit.entries("default"))
    assert [(e.action, e.rule_id) for e in entries] == [("merge_into_seeded", "R-0001")] * 2
    again = dream(
        rules_dir=rules,
        audit=audit,
        tenant="default",
        motifs=[fmt, black],
        now=NOW + timedelta(days=1),
        policy=policy,
    )
    assert again.decisions == [] and len(list(audit.entries("default"))) == 2
    assert {p.name: p.read_bytes() for p in rules.glob("*.md")} == before


def test_merging_into_a_seeded_rule_stays_in_the_tenants_own_audit_log(
    mk, seeded_ws, policy
) -> None:
    rules, audit = seeded_ws
    before = (rules / "R-0001.md").read_bytes()
    for tenant in ("acme", "globex"):
        report = dream(
            rules_dir=rules,
            audit=audit,
            tenant=tenant,
            motifs=[mk(tenant=tenant)],
            now=NOW,
            policy=policy,
        )
        assert [(d.action, d.rule_id) for d in report.decisions] == [
            ("merge_into_seeded", "R-0001")
        ]
    assert [e.tenant for e in audit.entries("acme")] == ["acme"]
    assert [e.tenant for e in audit.entries("globex")] == ["globex"]
    assert (rules / "R-0001.md").read_bytes() == before


def test_a_fix_that_restates_no_seeded_rule_is_proposed(mk, seeded_ws, policy) -> None:
    rules, audit = seeded_ws
    credo = mk(
        signature="credo",
        fix="ran `mix credo --strict` first",
        template="Pre-commit validation failed: [CREDO] Found 3 issues",
    )
    report = dream(
        rules_dir=rules, audit=audit, tenant="default", motifs=[credo], now=NOW, policy=policy
    )
    assert [(d.action, d.rule_id) for d in report.decisions] == [("propose", "R-0004")]
    rule = load_rule(rules / "R-0004.md")
    assert rule.directive == "Run `mix credo --strict` before `git commit`."


def test_a_dry_run_reports_the_merge_and_logs_nothing(mk, seeded_ws, policy) -> None:
    rules, audit = seeded_ws
    report = dream(
        rules_dir=rules,
        audit=audit,
        tenant="default",
        motifs=[mk()],
        now=NOW,
        policy=policy,
        dry_run=True,
    )
    assert [d.action for d in report.decisions] == ["merge_into_seeded"]
    assert list(audit.entries("default")) == [] and not audit.path.exists()
    payload = json.loads(report.model_dump_json())
    assert payload["decisions"][0]["rule_id"] == "R-0001"
