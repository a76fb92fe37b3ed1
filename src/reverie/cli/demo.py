"""``reverie demo``: the whole loop on the embedded store, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reverie.cli.common import JsonOpt, console, outer_workspace, print_json


def demo(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Demo workspace folder (default: the -w before the command, else ./demo).",
            show_default=False,
        ),
    ] = None,
    sessions: Annotated[
        Path | None,
        typer.Option(help="Sessions to read (e.g. ~/.claude/projects); default: the real "
                     "samples in ../shared/data/real, else a generated corpus."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest sessions into a demo workspace, dream, and render a CLAUDE.md section."""
    from reverie.demo import run_demo
    from reverie.settings import load_settings
    from reverie.store import open_store

    directory = directory or outer_workspace.get() or Path("demo")
    result = run_demo(directory, sessions)
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    s = result.ingest
    console.print(f"[bold]Reverie demo[/] in {result.workspace}")
    console.print(f"sessions from {result.sessions_from} ({result.source_kind})")
    console.print(
        f"ingested {s.files} files: {s.sessions} sessions, {s.events} events "
        f"({s.new_events} new), {len(s.malformed)} malformed lines set aside"
    )
    if s.formats:
        console.print("formats: " + ", ".join(f"{k} ({v})" for k, v in s.formats.items()))
    store = open_store(load_settings(Path(result.workspace)))
    try:
        for tenant in store.tenants():
            st = store.stats(tenant)
            console.print(
                f"tenant {tenant}: {st.agents} agents, {st.sessions} sessions, "
                f"{st.tool_calls} tool calls, {st.tool_errors} tool errors, {st.outcomes} outcomes"
            )
    finally:
        store.close()
    dreamt = ", ".join(f"{k} {v}" for k, v in result.dream.items()) or "no changes"
    console.print(f"dream: {result.motifs} motifs; {dreamt}")
    console.print(
        "rule book: " + (", ".join(f"{v} {k}" for k, v in result.rules.items()) or "empty")
    )
    w = f"-w {directory}"
    if result.export is not None:
        e = result.export
        console.print(
            f"CLAUDE.md section: {e.path} ({e.action}, {e.rules} approved fleet rules); "
            f"render {e.render}"
        )
    if result.approved_agent_scoped:
        console.print(
            f"{len(result.approved_agent_scoped)} approved rules are scoped to single agents "
            f"({', '.join(result.approved_agent_scoped)}): "
            f"reverie render claude_md {w} --agent {result.example_agent}"
        )
    first = result.example_rule or "ID"
    console.print("[bold]Where to look[/]")
    if result.export is not None:
        console.print(f"  the rendered section:  {result.export.path}")
        digest = result.export.render
        console.print(f"  what was in it:        reverie explain --render {digest} {w}")
    console.print(f"  the rule book:         reverie rules list {w}")
    console.print(f"  why a rule exists:     reverie explain {first} {w}")
    console.print(f"  review the proposals:  reverie review approve|reject ID --reason TEXT {w}")
    console.print(f"  or in a browser:       reverie serve {w}  (http://127.0.0.1:8765/)")


def register(app: typer.Typer) -> None:
    app.command()(demo)
