"""``reverie redact``: what redaction would replace in transcript files, without storing it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from reverie.cli.common import JsonOpt, WorkspaceOpt, console, print_json, resolve
from reverie.errors import ConfigError

if TYPE_CHECKING:
    from reverie.redact.redactor import FileCheck, Redactor

HELP = """Show what redaction would replace in transcript files; nothing is stored.

With --check, reports per file and class how many values would be redacted
and where (file:line:column, class, placeholder). The values themselves are
never printed. Without --check, prints the files redacted to standard output.
Files are read line by line as text, so any file works; folders are searched
for transcript files (.jsonl, .json, .traj, .ndjson). The workspace's
\\[redact] settings apply (disabled classes, extra patterns, its key).

With --check, exits 1 when something would be redacted (every exit code:
reverie --help).
"""


def redact(
    paths: Annotated[list[Path], typer.Argument(help="Transcript files or folders.")],
    check: Annotated[
        bool, typer.Option("--check", help="Report what would be redacted instead of printing.")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from reverie.ingest.pipeline import discover
    from reverie.redact.redactor import Redactor

    settings = resolve(workspace)
    redactor = Redactor.from_settings(settings)
    files = [path for path, _ in discover(paths)]
    if not check:
        if as_json:
            raise ConfigError("--json goes with --check")
        for path in files:
            with path.open(encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    sys.stdout.write(redactor.redact_text(line))
        return
    checks = _check_all(redactor, files, show_progress=not as_json and sys.stderr.isatty())
    total = sum(c.total for c in checks)
    if as_json:
        print_json(_as_json(redactor, checks))
    else:
        _print(redactor, checks)
    raise typer.Exit(1 if total else 0)


def _check_all(redactor: Redactor, files: list[Path], show_progress: bool) -> list[FileCheck]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from reverie.redact.redactor import check_file

    progress = Progress(
        TextColumn("[bold]check"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        transient=True,
        disable=not show_progress,
    )
    checks = []
    with progress:
        task = progress.add_task("", total=len(files))
        for path in files:
            progress.update(task, description=path.name)
            checks.append(check_file(redactor, path))
            progress.advance(task)
    return checks


def _counts(checks: list[FileCheck]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in checks:
        for kind, n in c.counts.items():
            counts[kind] = counts.get(kind, 0) + n
    return dict(sorted(counts.items()))


def _as_json(redactor: Redactor, checks: list[FileCheck]) -> dict[str, object]:
    return {
        "enabled": redactor.enabled,
        "classes": redactor.classes,
        "total": sum(c.total for c in checks),
        "counts": _counts(checks),
        "files": [
            {
                "file": c.file,
                "lines": c.lines,
                "total": c.total,
                "counts": dict(sorted(c.counts.items())),
                "findings": [
                    {
                        "line": f.line,
                        "column": f.column,
                        "class": f.kind,
                        "placeholder": f.placeholder,
                    }
                    for f in c.findings
                ],
            }
            for c in checks
        ],
    }


def _print(redactor: Redactor, checks: list[FileCheck]) -> None:
    if not redactor.enabled:
        console.print("redaction is off in this workspace ([redact] enabled = false)")
    for c in checks:
        if not c.total:
            continue
        summary = ", ".join(f"{kind} {n}" for kind, n in sorted(c.counts.items()))
        head = f"[bold]{escape(c.file)}[/]: {c.total} to redact ({summary})"
        console.print(head, highlight=False)
        for f in c.findings:
            console.print(
                f"  {c.file}:{f.line}:{f.column}  {f.kind}  {f.placeholder}",
                highlight=False,
                markup=False,
            )
    total = sum(c.total for c in checks)
    with_hits = sum(1 for c in checks if c.total)
    counts = ", ".join(f"{kind} {n}" for kind, n in _counts(checks).items()) or "nothing"
    console.print(
        f"{total} values to redact in {with_hits} of {len(checks)} files: {counts}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("redact", help=HELP)(redact)
