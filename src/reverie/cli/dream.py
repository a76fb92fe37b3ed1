"""``reverie dream``: one curation cycle over the rule book and the current motifs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from reverie.cli.common import (
    JsonOpt,
    TenantOpt,
    WorkspaceOpt,
    console,
    err_console,
    print_json,
    resolve,
    workspace_for,
)
from reverie.cli.terminal import DataTable
from reverie.rulebook.distillers import make_distiller

if TYPE_CHECKING:
    from rich.progress import TaskID

    from reverie.workflow import StageProgress


@contextmanager
def stage_bars(quiet: bool = False) -> Iterator[StageProgress | None]:
    """A transient bar per workflow stage on stderr (none when quiet or not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if quiet or not err_console.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, advance: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.advance(tasks[stage], advance)

        yield progress


def register(app: typer.Typer) -> None:
    @app.command("dream")
    def dream_cmd(
        workspace: WorkspaceOpt = None,
        tenant: TenantOpt = None,
        min_sessions: Annotated[
            int | None,
            typer.Option(
                "--min-sessions",
                min=1,
                help="Sessions a motif needs to become a rule "
                "(default: min_sessions under \\[mine] in reverie.toml).",
            ),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show the decisions; write nothing.")
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Curate the rule book: propose, reinforce, retire, flag conflicts, merge, promote."""
        from reverie.rulebook.dream import DreamPolicy
        from reverie.workflow import curate

        settings = resolve(workspace)
        tenant = tenant or settings.tenant
        policy = DreamPolicy.from_settings(settings, min_sessions)
        with workspace_for(settings) as ws, stage_bars(as_json) as progress:
            report = curate(
                ws,
                tenant,
                now=datetime.now(UTC),
                policy=policy,
                distiller=make_distiller(settings),
                dry_run=dry_run,
                progress=progress,
            )
        if as_json:
            print_json(report.model_dump(mode="json") | {"counts": report.counts()})
            return
        table = DataTable(
            title=f"dream for tenant {tenant}" + (" (dry run: nothing written)" if dry_run else "")
        )
        for col in ("rule", "action", "reason"):
            table.add_column(col, overflow="fold")
        for d in report.decisions:
            table.add_row(d.rule_id or "-", d.action, d.reason)
        console.print(table)
        summary = ", ".join(f"{k} {v}" for k, v in report.counts().items()) or "no changes"
        console.print(f"{report.motifs} motifs, {report.rules} rules: {summary}")
