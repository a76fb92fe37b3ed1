"""``reverie dreams list`` and ``reverie dreams show``: the reports ``reverie watch`` wrote."""

from __future__ import annotations

from typing import Annotated

import typer

from reverie.cli.common import JsonOpt, TenantOpt, WorkspaceOpt, console, print_json, resolve
from reverie.cli.terminal import DataTable

dreams_app = typer.Typer(
    help="List and show the dream reports `reverie watch` wrote after each cycle.",
    no_args_is_help=True,
)


@dreams_app.command("list")
def list_dreams(
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    last: Annotated[
        int | None, typer.Option("--last", "-n", min=1, help="Only the latest N reports.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the tenant's dream reports, oldest first: when, trigger and how many rules each
    kind of change touched (`reverie dreams show ID` names them)."""
    from reverie.watch.reports import CHANGES, list_reports

    settings = resolve(workspace)
    records = list_reports(settings.state_dir / "dreams", tenant or settings.tenant)
    if last is not None:
        records = records[-last:]
    if as_json:
        print_json([r.model_dump(mode="json", exclude={"decisions"}) for r in records])
        return
    table = DataTable()
    for col in ("id (UTC time)", "new events", "motifs", *CHANGES, "exports"):
        table.add_column(col, overflow="fold", no_wrap=col.startswith("id"))
    for r in records:
        table.add_row(
            r.id,
            str(r.new_events),
            str(r.motifs),
            *(str(len(r.changes.get(kind, []))) for kind in CHANGES),
            str(sum(e.action != "unchanged" for e in r.exports)),
        )
    console.print(table)
    if not records:
        console.print("no dream reports yet: `reverie watch` writes one after each cycle")


@dreams_app.command("show")
def show_dream(
    report: Annotated[
        str, typer.Argument(help="Report id (from `reverie dreams list`) or latest.")
    ] = "latest",
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one dream report: its summary and every decision with its reason, or JSON."""
    from reverie.watch.reports import load_report, summary_markdown

    settings = resolve(workspace)
    record = load_report(settings.state_dir / "dreams", report, tenant or settings.tenant)
    if as_json:
        print_json(record.model_dump(mode="json"))
        return
    console.print(summary_markdown(record), markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dreams_app, name="dreams")
