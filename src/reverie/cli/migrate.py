"""``reverie migrate``: copy the workspace's graph to the other store, verified by counts."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from reverie.cli.common import (
    JsonOpt,
    TenantOpt,
    WorkspaceOpt,
    console,
    print_json,
    resolve,
    store_for,
)
from reverie.cli.terminal import DataTable
from reverie.errors import ConfigError

if TYPE_CHECKING:
    from reverie.settings import Settings
    from reverie.store.base import GraphStore
    from reverie.store.migrate import MigrationReport

__all__ = ["register"]

HELP = """Copy the workspace's provenance graph into the other store kind.

The source is the store reverie.toml configures; the target is --to. For
--to neo4j the URI and database come from --uri/--database or \\[store] in
reverie.toml, the user and password from REVERIE_NEO4J_USER and
REVERIE_NEO4J_PASSWORD. Every tenant is copied (or only --tenant), then the
counts of agents, sessions, events by kind, tool errors, outcomes and source
files are compared. Running it again is safe: writes are idempotent.

After a clean copy, set \\[store] kind in reverie.toml to the target.

Examples:

  REVERIE_NEO4J_PASSWORD=... reverie migrate --to neo4j --uri neo4j://db:7687 --database reverie

  reverie migrate --to embedded --path .reverie/from-neo4j.db

Exits 1 when the counts differ (every exit code: reverie --help).
"""


class Target(StrEnum):
    neo4j = "neo4j"
    embedded = "embedded"


def _target_settings(
    settings: Settings, to: Target, uri: str | None, database: str | None, path: str | None
) -> Settings:
    store = settings.store.model_copy(update={"kind": to.value})
    if uri is not None:
        store = store.model_copy(update={"uri": uri})
    if database is not None:
        store = store.model_copy(update={"database": database})
    if path is not None:
        store = store.model_copy(update={"path": path})
    return settings.model_copy(update={"store": store})


def migrate_command(
    to: Annotated[Target, typer.Option("--to", help="The store kind to copy into.")],
    uri: Annotated[
        str | None, typer.Option(help="Bolt URI of the target (default: \\[store] uri).")
    ] = None,
    database: Annotated[
        str | None, typer.Option(help="Target database (default: \\[store] database).")
    ] = None,
    path: Annotated[
        str | None,
        typer.Option(
            help="Target embedded store file, relative to the workspace (default: \\[store] path)."
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from reverie.store import open_store

    settings = resolve(workspace)
    if settings.store.kind == to.value:
        raise ConfigError(
            f"the workspace's store is already {to.value!r}; --to names the other kind"
        )
    target = open_store(_target_settings(settings, to, uri, database, path))
    try:
        with store_for(settings) as source:
            report = _run(source, target, tenant)
    finally:
        target.close()
    if as_json:
        print_json(report.model_dump(mode="json") | {"ok": report.ok})
    else:
        _print(report)
    if not report.ok:
        raise typer.Exit(1)


def _run(source: GraphStore, target: GraphStore, tenant: str | None) -> MigrationReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from reverie.store.migrate import migrate

    tenants = [tenant] if tenant else None
    if not sys.stderr.isatty():
        return migrate(source, target, tenants)
    total = sum(source.stats(t).sessions for t in (tenants or source.tenants()))
    columns = (
        TextColumn("copying sessions"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("copy", total=total)
        return migrate(source, target, tenants, lambda n: progress.advance(task, n))


def _print(report: MigrationReport) -> None:
    table = DataTable(title=f"{report.source.get('kind')} -> {report.target.get('kind')}")
    for col in ("tenant", "sessions", "events", "outcomes", "sources", "verified"):
        table.add_column(col, justify="left" if col in ("tenant", "verified") else "right")
    for t in report.tenants:
        table.add_row(
            t.tenant,
            str(t.target.sessions),
            str(t.target.events),
            str(t.target.outcomes),
            str(t.target.sources),
            "yes" if t.ok else "[red]counts differ[/]",
        )
    console.print(table)
    for t in report.tenants:
        for name, (before, after) in t.mismatches.items():
            console.print(f"[red]{t.tenant}: {name}: source {before}, target {after}[/]")
        for skipped in t.skipped_files:
            console.print(f"{t.tenant}: not copied (never finished ingesting): {skipped}")
    if report.ok:
        console.print(
            f'Verified. Set [store] kind = "{report.target.get("kind")}" '
            "in reverie.toml to use the copy.",
            markup=False,
        )


def register(app: typer.Typer) -> None:
    app.command("migrate", help=HELP)(migrate_command)
