"""``reverie dream``: one curation cycle over the rule book and the current motifs."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reverie.audit.log import AuditLog
from reverie.cli.common import (
    JsonOpt,
    TenantOpt,
    WorkspaceOpt,
    console,
    err_console,
    error_code,
    fail,
    print_json,
    resolve,
    store_for,
)
from reverie.cli.locking import workspace_locked
from reverie.cli.terminal import DataTable
from reverie.errors import ReverieError
from reverie.forget.erase import live_session_ids
from reverie.mine import mine
from reverie.models import Motif
from reverie.rulebook.distill import Distiller, EvidenceItem, TemplateDistiller
from reverie.rulebook.dream import DreamPolicy, dream
from reverie.rulebook.evidence import event_refs, evidence_items, fetch_events
from reverie.settings import Settings
from reverie.store.mining_base import MiningStore


def current_motifs(
    store: Any, tenant: str, settings: Settings, min_sessions: int, quiet: bool = False
) -> list[Motif]:
    """Mine the tenant now, so the dream sees the store as it is (motifs are stored too)."""
    if not isinstance(store, MiningStore):
        raise ReverieError(f"the {store.info().get('kind')} store does not support mining yet")
    args = (store, tenant, settings.mine, settings.trust)
    if quiet or not err_console.is_terminal:
        return mine(*args, min_sessions=min_sessions)
    columns = (TextColumn("mining"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("events", total=store.stats(tenant).events or None)
        return mine(*args, min_sessions=min_sessions, progress=lambda n: bar.advance(task, n))


def make_distiller(settings: Settings) -> Distiller:
    """The ``[distill] provider``: offline templates, Claude, or an OpenAI-compatible server."""
    if settings.distill.provider == "openai":
        from reverie.rulebook.distill_openai import OpenAIDistiller

        return OpenAIDistiller.from_settings(settings)
    if settings.distill.provider == "anthropic":
        from reverie.rulebook.distill_llm import LLMDistiller, anthropic_client

        return LLMDistiller(
            anthropic_client(),
            cache_dir=settings.state_dir / "llm_cache",
            model=settings.distill.model,
            workspace=settings.root,
            max_tokens=settings.distill.max_tokens,
        )
    return TemplateDistiller(settings.root)


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
        settings = resolve(workspace)
        tenant = tenant or settings.tenant
        policy = DreamPolicy.from_settings(settings, min_sessions)
        try:
            with store_for(settings) as store:
                motifs = current_motifs(store, tenant, settings, policy.min_sessions, as_json)

                def evidence_for(motif: Motif) -> list[EvidenceItem]:
                    return evidence_items(motif, fetch_events(store, tenant, event_refs(motif)))

                locked = nullcontext() if dry_run else workspace_locked(settings, "reverie dream")
                with locked:
                    report = dream(
                        rules_dir=settings.rules_dir,
                        audit=AuditLog(settings.state_dir),
                        tenant=tenant,
                        motifs=motifs,
                        now=datetime.now(UTC),
                        policy=policy,
                        distiller=make_distiller(settings),
                        evidence_for=evidence_for,
                        live_sessions=live_session_ids(store, tenant),
                        dry_run=dry_run,
                    )
        except ReverieError as exc:
            raise fail(str(exc), error_code(exc)) from exc
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
