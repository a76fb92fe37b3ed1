"""``reverie eval``: held-out metrics of the rules, drift over time, before/after a deployment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
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
from reverie.errors import ConfigError

if TYPE_CHECKING:
    from reverie.evaluate import EvalReport
    from reverie.evaluate.stats import Interval, Rate

SHOWN_WINDOWS = 26


def parse_date(text: str) -> datetime:
    """An ISO date or date-time; without a zone it is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(
            f"--deployed-at {text!r}: use an ISO date, e.g. 2026-01-20 or 2026-01-20T09:00"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _rate(r: Rate | None) -> str:
    if r is None or r.rate is None:
        return "- (n=0)" if r is not None else "-"
    return f"{_pct(r.rate)} [{_pct(r.ci.low)}, {_pct(r.ci.high)}] ({r.k}/{r.n})"


def _ci(d: Interval, pct: bool = True) -> str:
    if d.estimate is None:
        return "-"
    f = _pct if pct else (lambda v: "-" if v is None else f"{v:+.3g}")
    return f"{f(d.estimate)} [{f(d.low)}, {f(d.high)}]"


def _print(report: EvalReport) -> None:
    sp, h = report.split, report.heldout
    console.print(
        f"[bold]tenant {report.tenant}[/]: {sp['kind']} split, {sp['train_sessions']} training / "
        f"{sp['heldout_sessions']} held-out sessions; training gave "
        f"{report.training['motifs']} motifs and {report.training['rules']} rules "
        f"{report.training['rules_by_status']}"
    )
    table = DataTable(title="predictive value on held-out sessions")
    for col in ("rule", "status", "when (context)", "triggers", "precision", "sessions hit"):
        table.add_column(col, overflow="fold")
    for r in h.rules:
        status = r.status + (" (approved)" if r.approved and r.status != "approved" else "")
        table.add_row(
            r.id,
            status,
            ", ".join(r.contexts),
            str(r.triggers),
            _rate(r.precision),
            str(r.sessions_targeted),
        )
    console.print(table)
    table = DataTable(
        title=f"held-out: {h.sessions} sessions, {h.failures} failures, "
        f"{h.recurring_failures} recurring"
    )
    for col in (
        "rule set",
        "coverage",
        "avoidable tokens/session",
        "steps/session",
        "tokens/successful task",
        "success covered vs uncovered",
    ):
        table.add_column(col, overflow="fold")
    for name, cov in h.coverage.items():
        cost = h.avoidable_cost[name]
        out = h.outcomes.get(name)
        per_ok = cost.per_successful_task["tokens"] if cost.per_successful_task else None
        table.add_row(
            name,
            _rate(cov.rate),
            str(cost.per_session["tokens"]),
            str(cost.per_session["steps"]),
            "-" if per_ok is None else str(per_ok),
            f"{_rate(out.covered)} vs {_rate(out.uncovered)}" if out else "no outcomes",
        )
    console.print(table)
    _print_history(report)
    for note in [*filter(None, [sp.get("note")]), *report.notes]:
        console.print(f"note: {note}", style="dim")


def _print_history(report: EvalReport) -> None:
    d = report.drift
    if d is not None and d.windows:
        shown = [w for w in d.windows if w.sessions][-SHOWN_WINDOWS:]
        table = DataTable(
            title=f"drift per {d.window_days:g}-day window ({d.rules_source}); "
            f"last {len(shown)} non-empty windows"
        )
        table.add_column("window", no_wrap=True)
        for col in (
            "sessions",
            "failures/session",
            "hit (approved)",
            "hit (candidates)",
            "coverage",
            "precision",
            "success",
        ):
            table.add_column(col)
        for w in shown:
            table.add_row(
                w.start.date().isoformat(),
                str(w.sessions),
                str(w.failures_per_session),
                _pct(w.approved_targeted_session_rate),
                _pct(w.targeted_session_rate),
                _pct(w.coverage_candidates),
                _pct(w.trigger_precision),
                _pct(w.success_rate),
            )
        console.print(table)
    ba = report.before_after
    if ba is None:
        return
    table = DataTable(
        title=f"before/after {ba.deployed_at.isoformat()} ({ba.source}): "
        f"{ba.before.sessions} vs {ba.after.sessions} sessions of the same agents/models"
    )
    for col in ("metric", "before", "after", "change [95% CI]", "significant"):
        table.add_column(col)
    for c in ba.changes:
        pct = "rate" in c.metric or "precision" in c.metric
        fmt = _pct if pct else (lambda v: "-" if v is None else f"{v:.4g}")
        table.add_row(
            c.metric,
            fmt(c.before),
            fmt(c.after),
            _ci(c.difference, pct),
            "yes" if c.significant else "no",
        )
    for r in ba.per_rule:
        table.add_row(
            f"{r.id}: sessions hit",
            _rate(r.before),
            _rate(r.after),
            _ci(r.difference),
            "yes" if r.significant else "no",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_cmd(
        workspace: WorkspaceOpt = None,
        tenant: TenantOpt = None,
        split: Annotated[
            str, typer.Option("--split", help="Held-out split: time, random or by-agent.")
        ] = "time",
        holdout: Annotated[
            float, typer.Option("--holdout", help="Share of sessions held out (0..1).")
        ] = 0.3,
        seed: Annotated[
            int, typer.Option("--seed", help="Seed of the random split and the bootstrap.")
        ] = 0,
        plot: Annotated[
            Path | None, typer.Option("--plot", help="Write the drift plot here (.png or .svg).")
        ] = None,
        deployed_at: Annotated[
            str | None,
            typer.Option(
                "--deployed-at",
                help="Deployment date for before/after (ISO; default: the latest render record).",
            ),
        ] = None,
        window: Annotated[
            str, typer.Option("--window", help="Drift window: e.g. 7d, 2w, 12h.")
        ] = "7d",
        as_json: JsonOpt = False,
    ) -> None:
        """Measure the rules: held-out precision, coverage, avoidable cost, outcomes, drift."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from reverie.evaluate import evaluate, parse_window, plot_drift

        settings = resolve(workspace)
        tenant = tenant or settings.tenant
        window_ms = parse_window(window)
        when = parse_date(deployed_at) if deployed_at else None
        with workspace_for(settings) as ws:
            def measure(progress: Callable[[int], None] | None = None) -> EvalReport:
                return evaluate(
                    ws,
                    tenant,
                    split=split,
                    holdout=holdout,
                    seed=seed,
                    window_ms=window_ms,
                    deployed_at=when,
                    progress=progress,
                )

            if as_json or not err_console.is_terminal:
                report = measure()
            else:
                columns = (
                    TextColumn("reading"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                )
                with Progress(*columns, console=err_console, transient=True) as bar:
                    task = bar.add_task("events", total=ws.store.stats(tenant).events or None)
                    report = measure(lambda n: bar.advance(task, n))
        if plot is not None and report.drift is not None:
            ba = report.before_after
            plot_drift(
                report.drift,
                plot,
                deployed_at=ba.deployed_at if ba else None,
                title=f"tenant {tenant}: drift per {window} window",
            )
        if as_json:
            data = report.model_dump(mode="json")
            if plot is not None:
                data["plot"] = str(plot)
            print_json(data)
            return
        _print(report)
        if plot is not None:
            console.print(f"plot written to {plot}")
