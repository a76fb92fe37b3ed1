"""Render records and the CLI: render, export, --vars, explain --render HASH."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reverie.cli import app
from reverie.ids import content_hash
from reverie.render.records import RenderLog
from reverie.rulebook.rules import find_rule, write_rule
from reverie.settings import Settings


def _run(cli: Any, ws: Settings, *args: str, code: int = 0) -> Any:
    result = cli.invoke(app, [*args, "-w", str(ws.root)])
    assert result.exit_code == code, result.output
    return result


def test_render_writes_file_and_records_rules_versions_and_hash(
    cli: Any, ws: Settings, book: dict
) -> None:
    out = ws.root / "out" / "system.md"
    res = _run(cli, ws, "render", "system_prompt", "--agent", "claude-code", "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert "Run `Glob` before using Read." in text
    (record,) = RenderLog(ws.state_dir).records("acme")
    assert record.hash in res.stderr and record.output == str(out.resolve())
    assert record.template == "system_prompt.md.j2" and record.agent == "claude-code"
    assert [(r.id, r.version) for r in record.rules] == [
        ("R-0001", 2),
        ("R-0010", 2),
        ("R-0011", 2),
        ("R-0012", 2),
    ]
    assert record.rules[1].approved_by == "alice"
    assert record.rules[1].approval == "review.approve: checked the lines"

    assert record.hash == content_hash(out.read_bytes())


def test_explain_render_answers_which_rules_and_why(cli: Any, ws: Settings, book: dict) -> None:
    res = _run(cli, ws, "render", "claude_md", "--json")
    digest = json.loads(res.stdout)["record"]["hash"]
    # a rule changes after the render: the explanation shows both
    rule = find_rule(ws.rules_dir, "R-0010", "acme")
    rule.status, rule.version = "retired", rule.version + 1
    write_rule(ws.rules_dir, rule)
    got = json.loads(_run(cli, ws, "explain", "--render", digest[:12], "--json").stdout)
    assert got["hash"] == digest and got["renders"] == 1
    rows = {r["recorded"]["id"]: r for r in got["rules"]}
    assert list(rows) == ["R-0001", "R-0010", "R-0012"]
    assert rows["R-0010"]["recorded"]["version"] == 2
    assert (rows["R-0010"]["status_now"], rows["R-0010"]["version_now"]) == ("retired", 3)
    text = _run(cli, ws, "explain", "--render", digest).stdout
    assert "R-0010 v2" in text and "alice" in text and "changed" in text


def test_explain_render_never_crosses_tenants(cli: Any, ws: Settings, book: dict) -> None:
    res = _run(cli, ws, "render", "claude_md", "--json")
    digest = json.loads(res.stdout)["record"]["hash"]
    bad = _run(cli, ws, "explain", "--render", digest, "--tenant", "globex", code=2)
    assert "no render" in bad.stderr
    assert list(RenderLog(ws.state_dir).records("globex")) == []


def test_budget_on_the_command_line_says_how_many_were_left_out(
    cli: Any, ws: Settings, book: dict
) -> None:
    res = _run(cli, ws, "render", "agents_md", "--budget", "150")
    assert "left out to fit the 150-token budget" in res.stdout
    assert "left out to fit the budget of 150 tokens" in res.stderr
    (record,) = RenderLog(ws.state_dir).records("acme")
    assert record.budget == 150 and record.tokens <= 150 and record.left_out


def test_vars_lists_the_documented_variables(cli: Any, ws: Settings) -> None:
    res = _run(cli, ws, "render", "--vars")
    for name in ("tenant", "agent", "rules[].directive", "rules[].source", "omitted", "budget"):
        assert name in res.stdout
    used = _run(cli, ws, "render", "cursor_rules", "--vars").stdout
    assert "cursor_rules.mdc.j2" in used and "yes" in used


def test_export_command_and_its_errors(cli: Any, ws: Settings, book: dict, tmp_path: Path) -> None:
    path = tmp_path / "CLAUDE.md"
    path.write_text("mine\n", encoding="utf-8")
    first = _run(cli, ws, "export", "claude-md", "--into", str(path))
    assert "appended" in first.stdout
    assert "unchanged" in _run(cli, ws, "export", "claude-md", "--into", str(path)).stdout
    assert path.read_text(encoding="utf-8").startswith("mine\n")
    _run(cli, ws, "export", "cursor", "--into", str(path), code=2)
    _run(cli, ws, "render", code=2)
