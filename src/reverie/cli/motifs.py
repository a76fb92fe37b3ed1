"""``reverie motifs``: mine the store and list the failure motifs, best first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from reverie.cli.common import (
    JsonOpt,
    TenantOpt,
    WorkspaceOpt,
    console,
    err_console,
    print_json,
    resolve,
    store_for,
)
from reverie.cli.terminal import DataTable

if TYPE_CHECKING:
    from collections.abc import Callable

    from reverie.models import Motif
    from reverie.settings import Settings
    from reverie.store.base import GraphStore

__all__ = ["motif_json", "register"]

MinSessionsOpt = Annotated[
    int | None,
    typer.Option(
        "--min-sessions", min=1,
        help="A motif recurs in at least this many sessions (default: mine.min_sessions).",
    ),
]
MinAgentsOpt = Annotated[
    int | None,
    typer.Option(
        "--min-agents", min=1,
        help="A motif is cross-agent from this many agents (default: mine.min_agents).",
    ),
]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", min=1, help="Show only the best N motifs.")
]


def motif_json(m: Motif) -> dict[str, Any]:
    """A motif as ``reverie motifs --json`` prints it (every field of the model)."""
    return m.model_dump(mode="json")


def motifs(
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    min_sessions: MinSessionsOpt = None,
    min_agents: MinAgentsOpt = None,
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mine the tenant's sessions for failures that recur across sessions and agents.

    Detects failures, normalizes them to signatures, links what fixed them,
    stores the results (replacing the previous run's) and lists the motifs
    that recur in at least --min-sessions sessions, sorted by score.
    """
    settings = resolve(workspace)
    tenant = tenant or settings.tenant
    with store_for(settings) as store:
        total = store.stats(tenant).events
        found = _run(store, tenant, settings, min_sessions, min_agents, total, as_json)
    shown = found[:limit] if limit else found
    if as_json:
        print_json([motif_json(m) for m in shown])
        return
    _table(shown, len(found), tenant, min_sessions or settings.mine.min_sessions)


def _run(
    store: GraphStore,
    tenant: str,
    settings: Settings,
    min_sessions: int | None,
    min_agents: int | None,
    total: int,
    quiet: bool,
) -> list[Motif]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from reverie.mine import mine

    def run(progress: Callable[[int], None] | None = None) -> list[Motif]:
        return mine(
            store, tenant, settings.mine, settings.trust,
            min_sessions=min_sessions, min_agents=min_agents, progress=progress,
        )

    if quiet or not err_console.is_terminal:
        return run()
    columns = (TextColumn("mining"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("events", total=total or None)
        return run(lambda n: bar.advance(task, n))


def _table(found: list[Motif], total: int, tenant: str, min_sessions: int) -> None:
    if not found:
        console.print(
            f"No motifs in tenant {tenant!r} recur in {min_sessions}+ sessions.", markup=False
        )
        return
    table = DataTable(title=f"Failure motifs in {tenant!r} ({total}, sessions >= {min_sessions})")
    table.add_column("score", justify="right")
    table.add_column("tool / program", overflow="fold", max_width=18)
    table.add_column("template", overflow="fold", ratio=3)
    table.add_column("sess", justify="right")
    table.add_column("agents", justify="right")
    table.add_column("occ", justify="right")
    table.add_column("most common fix (rate)", overflow="fold", ratio=2)
    for m in found:
        fix = m.recovery.get("fix")
        table.add_row(
            f"{m.score:.2f}",
            " / ".join(x for x in (m.tool, m.program) if x) or "-",
            m.template,
            str(len(m.sessions)),
            f"{len(m.agents)}{' x' if m.cross_agent else ''}",
            str(m.support),
            f"{fix} ({m.recovery.get('rate', 0.0):.0%})" if fix else "-",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("motifs")(motifs)
