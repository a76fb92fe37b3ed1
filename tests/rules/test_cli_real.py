"""End to end on the real Claude Code sample: ingest, dream, review, explain, audit verify."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import orjson
import pytest

from reverie.cli import app

pytestmark = pytest.mark.slow
REPO_RULES = Path(__file__).resolve().parents[2] / "rules"


def _ok(cli, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def dreamed(cli, workspace, real_data: Path) -> tuple[Path, dict]:
    root = workspace.root
    for seed in REPO_RULES.glob("R-*.md"):
        shutil.copy(seed, root / "rules")
    _ok(cli, "ingest", str(real_data / "claude_code"), "-w", str(root))
    report = json.loads(_ok(cli, "dream", "--min-sessions", "2", "--json", "-w", str(root)))
    return root, report


def test_format_before_commit_merges_into_the_seeded_rule(cli, dreamed) -> None:
    root, report = dreamed
    merged = [d for d in report["decisions"] if d["action"] == "merge_into_seeded"]
    assert [(d["rule_id"], d["details"]["fix"], d["details"]["failed"]) for d in merged] == [
        ("R-0001", "mix format", "git commit")
    ]
    assert merged[0]["details"]["sessions"] == 2
    rules = json.loads(_ok(cli, "rules", "list", "--json", "-w", str(root)))
    assert not [r for r in rules if not r["seeded"] and "`mix format`" in r["directive"]]
    seeded = (root / "rules" / "R-0001.md").read_bytes()
    assert seeded == (REPO_RULES / "R-0001.md").read_bytes()  # the shared file is untouched
    # explain still leads from the seeded rule to this tenant's lines, through the audit log
    explained = json.loads(_ok(cli, "explain", "R-0001", "--json", "-w", str(root)))
    assert [m["id"] for m in explained["merged"]] == [merged[0]["motif_id"]]
    lines = [ln for occ in explained["occurrences"] for ln in occ["lines"]]
    failures = [ln for ln in lines if ln["role"] == "failure"]
    assert len({occ["session_id"] for occ in explained["occurrences"]}) == 2
    for ln in failures:
        raw = Path(ln["file"]).read_text().splitlines()[ln["line"] - 1]
        assert "[FORMAT] Code is not formatted" in raw
    assert any(
        "mix format" in json.dumps(ln["input"]) for ln in lines if ln["role"] == "next_action"
    )
    text = " ".join(_ok(cli, "explain", "R-0001", "-w", str(root)).split())
    assert f"merged into this seeded rule: motif {merged[0]['motif_id']}" in text
    assert "no transcript evidence" not in text


def test_dream_proposes_credo_rule_and_explain_leads_to_the_lines(cli, dreamed) -> None:
    root, report = dreamed
    rules = json.loads(_ok(cli, "rules", "list", "--status", "proposed", "--json", "-w", str(root)))
    credo = [r for r in rules if "`mix credo" in r["directive"]]
    assert [r["directive"] for r in credo] == ["Run `mix credo --strict` before `git commit`."]
    rule = credo[0]
    assert rule["id"] not in {"R-0001", "R-0002", "R-0003"}  # after the seeded ones
    assert len(rule["evidence"]["sessions"]) == 2 and rule["scope"]["tenant"] == "default"
    assert rule["flags"] == []
    assert {d["rule_id"] for d in report["decisions"] if d["action"] == "propose"} >= {rule["id"]}

    explained = json.loads(_ok(cli, "explain", rule["id"], "--json", "-w", str(root)))
    failures = [
        ln for occ in explained["occurrences"] for ln in occ["lines"] if ln["role"] == "failure"
    ]
    assert len({occ["session_id"] for occ in explained["occurrences"]}) == 2
    for ln in failures:  # file:line really is that line of the transcript, text as stored
        raw = Path(ln["file"]).read_text().splitlines()[ln["line"] - 1]
        assert "Pre-commit validation failed" in raw and "[CREDO]" in raw
        assert "Pre-commit validation failed" in ln["text"]
    # the fix is not always the next call (the agent edits first): in every evidence session,
    # `mix credo --strict` ran after a [CREDO] failure and before the next `git commit`
    fixed = {ln["file"] for ln in failures if _fixed_by(ln, "mix credo --strict")}
    assert len(fixed) == 2, failures
    assert explained["history"][0]["action"] == "propose"
    assert explained["motif"]["id"] == rule["evidence"]["motif_id"]
    text = _ok(cli, "explain", rule["id"], "-w", str(root))
    assert f"{Path(failures[0]['file']).name}:{failures[0]['line']}" in text.replace("\n", "")


def _fixed_by(failure: dict, command: str) -> bool:
    """Whether ``command`` ran in a Bash call after the failure and before the next commit."""
    rows = Path(failure["file"]).read_text().splitlines()[failure["line"] :]
    for row in rows:
        for block in (orjson.loads(row).get("message") or {}).get("content") or []:
            if not isinstance(block, dict) or block.get("type") != "tool_use":
                continue
            ran = str((block.get("input") or {}).get("command", ""))
            if command in ran:
                return True
            if "git commit" in ran:
                return False
    return False


def test_second_dream_changes_nothing_and_dry_run_writes_nothing(cli, dreamed) -> None:
    root, _ = dreamed
    files = {p: p.read_bytes() for p in sorted((root / "rules").glob("*.md"))}
    log = (root / ".reverie" / "audit.jsonl").read_bytes()
    again = json.loads(_ok(cli, "dream", "--min-sessions", "2", "--json", "-w", str(root)))
    assert again["decisions"] == [] and again["written"] == []
    assert {p: p.read_bytes() for p in sorted((root / "rules").glob("*.md"))} == files
    assert (root / ".reverie" / "audit.jsonl").read_bytes() == log
    shutil.rmtree(root / "rules")
    (root / "rules").mkdir()
    dry = json.loads(
        _ok(cli, "dream", "--min-sessions", "2", "--dry-run", "--json", "-w", str(root))
    )
    assert dry["dry_run"] and dry["decisions"] and list((root / "rules").iterdir()) == []


def test_review_via_cli_and_tampering_is_named(cli, dreamed) -> None:
    root, _ = dreamed
    rid = json.loads(_ok(cli, "rules", "list", "--status", "proposed", "--json", "-w", str(root)))[
        0
    ]["id"]
    out = _ok(
        cli,
        "review",
        "approve",
        rid,
        "--reason",
        "matches our hook",
        "--reviewer",
        "ana",
        "-w",
        str(root),
    )
    assert "approved" in out
    assert "status: approved" in _ok(cli, "rules", "show", rid, "-w", str(root))
    assert "audit log ok" in _ok(cli, "audit", "verify", "-w", str(root))
    path = root / ".reverie" / "audit.jsonl"
    lines = path.read_bytes().splitlines()
    entry = orjson.loads(lines[1])
    entry["actor"] = "mallory"
    lines[1] = orjson.dumps(entry)
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = cli.invoke(app, ["audit", "verify", "-w", str(root)])
    assert result.exit_code == 1
    assert "audit.jsonl:2: entry seq 2 was edited" in result.output.replace("\n", "")
