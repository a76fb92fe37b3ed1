"""``reverie forget``: erase sessions' content, recompute the rules they fed, log it."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

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
from reverie.cli.dream import make_distiller

if TYPE_CHECKING:
    from reverie.forget.erase import ErasureReport


def _print(report: ErasureReport) -> None:
    verb = "would erase" if report.dry_run else "erased"
    console.print(
        f"{verb} {len(report.sessions)} sessions of tenant {escape(report.tenant)} "
        f"(agents: {escape(', '.join(report.agents))})"
        + ("" if report.dry_run else f"; audit entry seq {report.audit_seq}")
    )
    if report.dry_run:
        for sid in report.sessions:
            console.print(f"  {sid}", highlight=False)
        return
    counts = ", ".join(f"{k} {v}" for k, v in report.erased.items())
    console.print(f"cleared: {counts}")
    console.print(f"motifs: {report.motifs_before} before, {report.motifs_after} after")
    for d in report.decisions:
        console.print(f"  {d.rule_id or '-'} {d.action}: {escape(d.reason)}", highlight=False)
    for label, items in (
        ("rules scrubbed", report.rules_scrubbed),
        ("files scrubbed", report.files_scrubbed),
        ("cached answers removed", report.caches_removed),
        ("audit entries rewritten", [str(s) for s in report.audit_rewritten]),
    ):
        if items:
            console.print(f"{label}: {escape(', '.join(items))}")
    if report.residue:
        err_console.print(
            "[bold yellow]warning:[/] erased text still found in: "
            + escape(", ".join(report.residue)),
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    @app.command("forget")
    def forget_cmd(
        session: Annotated[
            list[str] | None,
            typer.Option(
                "--session", "-s", help="Session id, native id or unique prefix (repeatable)."
            ),
        ] = None,
        source: Annotated[
            Path | None,
            typer.Option("--source", help="Forget every session ingested from this file."),
        ] = None,
        agent: Annotated[
            str | None, typer.Option("--agent", "-a", help="Forget every session of this agent.")
        ] = None,
        reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")] = "",
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="List the sessions that would go; change nothing.")
        ] = False,
        workspace: WorkspaceOpt = None,
        tenant: TenantOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Erase sessions' content (keeping tombstones), re-mine, and retire rules they fed.

        The events' text, tool input and attrs, the sessions' task and outcome
        and the mining records are removed from the store; text found only in
        them is scrubbed from rule files, render records and caches; rules whose
        support falls below mine.min_sessions get a retirement proposal; the
        store is vacuumed and its WAL emptied. Transcript files are not touched.
        """
        from reverie.forget.erase import forget

        settings = resolve(workspace)
        tenant = tenant or settings.tenant
        with (
            workspace_for(settings) as ws,
            nullcontext() if dry_run else ws.locked("reverie forget"),
        ):
            report = forget(
                ws,
                tenant,
                sessions=session or [],
                source=str(source) if source is not None else None,
                agent=agent,
                reason=reason,
                now=datetime.now(UTC),
                distiller=None if dry_run else make_distiller(settings),
                dry_run=dry_run,
            )
        if as_json:
            print_json(report.model_dump(mode="json"))
        else:
            _print(report)
        if report.residue:
            raise typer.Exit(1)
