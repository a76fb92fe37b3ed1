"""Control sequences inside transcripts are shown, never obeyed, on a reviewer's terminal."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reverie.cli import app
from reverie.settings import Settings


def test_sessions_show_escapes_terminal_control_sequences(
    workspace: Settings, tmp_path: Path, cli: CliRunner
) -> None:
    lines = [
        {"reverie": 1, "session": "s1", "kind": "session", "agent": "bot"},
        {"reverie": 1, "session": "s1", "kind": "tool_call", "tool": "bash",
         "input": {"command": "cat notes"}, "call_id": "c1"},
        {"reverie": 1, "session": "s1", "kind": "tool_result", "call_id": "c1",
         "text": "ok \u001b[8mhidden\u001b]0;title\u0007 \u001b[2J"},
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    assert cli.invoke(app, ["ingest", str(path), "-w", str(workspace.root)]).exit_code == 0
    result = cli.invoke(app, ["sessions", "show", "s1", "-w", str(workspace.root)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b[8mhidden" in result.output
