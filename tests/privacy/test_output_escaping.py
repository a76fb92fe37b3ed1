"""Transcript text reaches the terminal as visible escapes, never as control sequences.

Issue 14, finding 8: an agent name, tool name, error text or session id holding
``\\x1b]0;pwned\\x07`` (set the window title) or ``\\x1b[2J`` (clear the screen)
reached the terminal raw through ``sessions list``, ``explain`` and
``motifs``, and ``[red]x[/red]`` was read as rich markup (``[/]`` alone
crashed the command). Every command now prints through
:class:`reverie.cli.terminal.SafeConsole`, and tables of data are
:class:`reverie.cli.terminal.DataTable`: control characters show as ``\\x1b``,
markup shows as written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reverie.cli import app, common
from reverie.settings import Settings

ESC = "\x1b]0;pwned\x07\x1b[2J[red]x[/red]"
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J[red]x[/red]"  # how the terminal must show it
CREDO = (
    "Exit code 1\nPre-commit validation failed: [CREDO] Found 3 refactoring opportunities.\n"
    f"Run the strict checks and commit again. {ESC} [/]"
)


def _corpus(path: Path) -> None:
    rows: list[dict] = []
    for i in range(4):
        sid = f"s{i}{ESC}"
        rows.append({"reverie": 1, "session": sid, "kind": "session",
                     "agent": f"bot{i % 2}{ESC}", "task": f"task {ESC}"})  # fmt: skip
        steps = [("git commit -m wip", CREDO, True), ("mix credo --strict", "", False),
                 ("git commit -m wip", "[main 1a2b3c4] wip", False)]  # fmt: skip
        for n, (command, output, error) in enumerate(steps):
            rows.append({"reverie": 1, "session": sid, "kind": "tool_call",
                         "tool": f"Bash{ESC}", "input": {"command": command},
                         "call_id": f"c{n}"})  # fmt: skip
            rows.append({"reverie": 1, "session": sid, "kind": "tool_result",
                         "call_id": f"c{n}", "text": output, "is_error": error})  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wide consoles, so no table folds an escape over two lines."""
    for console in (common.console, common.err_console):
        monkeypatch.setattr(console, "width", 2000)


def _clean(result) -> str:  # type: ignore[no-untyped-def]
    """The command's stdout and stderr, asserted free of raw control characters."""
    assert result.exit_code == 0, (result.output, result.exception)
    text = result.stdout + result.stderr
    assert "\x1b" not in text and "\x07" not in text, text
    return text


def test_no_raw_control_sequence_reaches_the_terminal(
    workspace: Settings, tmp_path: Path, cli: CliRunner, wide: None
) -> None:
    w = ["-w", str(workspace.root)]
    _corpus(tmp_path / "c.jsonl")
    assert cli.invoke(app, ["ingest", str(tmp_path / "c.jsonl"), *w]).exit_code == 0

    sessions = _clean(cli.invoke(app, ["sessions", "list", *w]))
    assert f"s0{SHOWN}" in sessions and f"task {SHOWN}" in sessions  # session id and task

    motifs = _clean(cli.invoke(app, ["motifs", *w]))
    assert "Bash\\x1b]0;pwned" in motifs  # the tool name (its column folds after 18)
    assert "pwned\\x07\\x1b[<NUM>J[red]x[/red]" in motifs  # the error, markup not read

    _clean(cli.invoke(app, ["dream", *w]))
    (rule,) = [r for r in json.loads(cli.invoke(app, ["rules", "list", *w, "--json"]).stdout)
               if not r["seeded"]]  # fmt: skip
    explained = _clean(cli.invoke(app, ["explain", rule["id"], *w]))
    assert f"Bash{SHOWN}" in explained  # tool name in the motif table
    assert f"commit again. {SHOWN} [/]" in explained  # the error text, as written
    assert "\\x1b]0;pwned" in explained.split("failures and what came next")[1]

    shown = _clean(cli.invoke(app, ["rules", "show", rule["id"], *w]))
    assert "[red]x[/red]" in shown
    listed = _clean(cli.invoke(app, ["rules", "list", *w]))
    assert rule["id"] in listed

    _clean(cli.invoke(app, ["sessions", "show", f"s0{ESC}", *w]))
    _clean(cli.invoke(app, ["stats", *w]))
    _clean(cli.invoke(app, ["review", "approve", rule["id"], "--reason", f"ok {ESC}",
                            "--reviewer", "me", *w]))  # fmt: skip
    rendered = _clean(cli.invoke(app, ["render", "claude_md", *w]))
    assert f"Bash{SHOWN}" in rendered  # the prompt file shows it too, on its line
    digest = json.loads(cli.invoke(app, ["render", "claude_md", "--json", *w]).stdout)
    _clean(cli.invoke(app, ["explain", "--render", digest["record"]["hash"], *w]))
    history = _clean(cli.invoke(app, ["explain", rule["id"], *w]))
    assert f"ok {SHOWN}" in history  # the review reason, in the history table


def test_an_error_message_is_escaped_once(workspace: Settings, cli: CliRunner, wide: None) -> None:
    """``[bold]`` in a message prints as written: not as markup, not as ``\\[bold]``."""
    result = cli.invoke(app, ["rules", "show", "R-[bold]x[/]", "-w", str(workspace.root)])
    assert result.exit_code == 2
    assert "'R-[bold]x[/]' is not a rule id" in result.stderr


def test_safe_console_escapes_strings_and_text_and_keeps_styles() -> None:
    import io

    from rich.text import Text

    from reverie.cli.terminal import DataTable, SafeConsole, printable_text

    out = io.StringIO()
    console = SafeConsole(file=out, width=200, color_system=None)
    table = DataTable(title="t")
    table.add_column("cell")
    table.add_row("[/] alone, and [bold red]x[/bold red] \x1b[2J")  # `[/]` crashed rich
    console.print(table)
    console.print(Text.assemble(("a\x1b]0;t\x07", "bold"), "b\u202ec"))
    console.print(f"plain {ESC}", markup=False)
    text = out.getvalue()
    assert "\x1b" not in text and "\u202e" not in text
    assert "[/] alone, and [bold red]x[/bold red] \\x1b[2J" in text
    assert "a\\x1b]0;t" in text and "b\\u202ec" in text and f"plain {SHOWN}" in text
    styled = printable_text(Text.assemble(("x\x1by", "bold"), "z"))
    assert styled.plain == "x\\x1byz" and [(s.start, s.end) for s in styled.spans] == [(0, 6)]
