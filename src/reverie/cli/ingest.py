"""``reverie ingest``: transcripts into the provenance graph."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from reverie.cli.common import (
    JsonOpt,
    TenantOpt,
    WorkspaceOpt,
    console,
    print_json,
    resolve,
    workspace_for,
)
from reverie.cli.terminal import DataTable
from reverie.errors import ConfigError
from reverie.names import check_agent

if TYPE_CHECKING:
    from reverie.ingest.pipeline import IngestSummary

HELP = """Ingest transcript files and folders (recursively) into the workspace's store.

Each file is one transaction: an interrupted ingest leaves the store as it was
before that file, and running the same command again completes it. Unchanged
files are skipped; a file that grew adds only its new events. Different runs
are never merged: a task or instance id that several runs share (benchmarks,
several models on one task) is told apart by the agent and the run's content;
two files that claim one run-unique session id with different content are kept
apart and listed as collisions. Evaluation reports beside runs (SWE-bench
report.json / results.json) are outcome files: their results go onto the
sessions of their run.

Exits 1 when some lines or files were malformed, unreadable or over a limit
and set aside (the rest was ingested; see the summary; every exit code:
reverie --help). Inside a folder, files that are not transcripts or not regular files (a FIFO)
are skipped and listed. Limits: docs/formats.md.
"""


def _agent_option(value: str | None) -> str | None:
    """``--agent`` checked where it enters (see :mod:`reverie.names`): a bad one exits 2."""
    try:
        return None if value is None else check_agent(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def ingest(
    paths: Annotated[
        list[Path],
        # readable=False: an unreadable file is that file's error in the summary, not the run's
        typer.Argument(help="Transcript files or folders.", readable=False),
    ],
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent", "-a", help="Agent name (default: from the file).", callback=_agent_option
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Transcript format, or auto to detect it.")
    ] = "auto",
    mapping: Annotated[Path | None, typer.Option(help="Mapping file for --format mapping.")] = None,
    force: Annotated[bool, typer.Option(help="Parse unchanged files again.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes that parse and write files (default: one per core "
            "for 16 files or more, else 1)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from reverie.ingest.pipeline import default_workers, discover, ingest_paths

    settings = resolve(workspace)
    if fmt == "mapping" and mapping is None:
        raise ConfigError("--format mapping needs --mapping FILE.yaml")
    files = list(discover(paths))
    show_progress = not as_json and sys.stderr.isatty()
    progress = Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        transient=True,
        disable=not show_progress,
    )
    with workspace_for(settings) as ws, progress:
        task = progress.add_task("", total=len(files))

        def on_file(path: Path, _result: object) -> None:
            progress.update(task, advance=1, description=path.name)

        summary = ingest_paths(
            ws,
            tenant or settings.tenant,
            paths,
            agent=agent,
            fmt=fmt,
            mapping=mapping,
            force=force,
            workers=workers or default_workers(len(files)),
            on_file=on_file,
        )
    if as_json:
        print_json(summary.model_dump(mode="json"))
    else:
        _print_summary(summary)
    if summary.malformed or summary.errors:
        raise typer.Exit(1)


def _print_summary(summary: IngestSummary) -> None:
    table = DataTable(show_header=False, box=None)
    for label, value in (
        ("files", summary.files),
        ("unchanged files", summary.unchanged_files),
        ("sessions", summary.sessions),
        ("events", summary.events),
        ("new events", summary.new_events),
        ("outcomes", summary.outcomes),
        ("malformed lines", len(summary.malformed)),
        ("collisions", len(summary.collisions)),
    ):
        table.add_row(label, str(value))
    if summary.formats:
        table.add_row("formats", ", ".join(f"{k} ({v})" for k, v in summary.formats.items()))
    console.print(table)
    for bad in summary.malformed[:50]:
        console.print(
            f"[yellow]malformed[/] {escape(bad.file)}:{bad.line}: {escape(bad.reason)}",
            highlight=False,
            soft_wrap=True,
        )
    if len(summary.malformed) > 50:
        console.print(f"... and {len(summary.malformed) - 50} more (see --json)")
    for c in summary.collisions:
        console.print(
            f"[yellow]collision[/] {escape(c['file'])}: session {escape(repr(c['native_id']))} "
            f"is already held by a different run (from {escape(c['existing_file'])}); "
            f"kept apart as {c['new_id']}",
            highlight=False,
            soft_wrap=True,
        )
    for err in summary.errors:
        console.print(
            f"[red]not ingested[/] {escape(err['file'])}: {escape(err['reason'])}",
            highlight=False,
            soft_wrap=True,
        )
    for skip in summary.skipped:
        console.print(
            f"[dim]skipped {escape(skip['file'])}: {escape(skip['reason'])}[/]",
            highlight=False,
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.command(help=HELP)(ingest)
