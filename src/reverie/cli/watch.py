"""``reverie watch``: ingest, dream and export on a schedule, until stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reverie.cli.common import TenantOpt, WorkspaceOpt, err_console, resolve, workspace_for
from reverie.errors import ConfigError

HELP = """Watch transcript folders: ingest what changed, dream when events came in, re-export.

On each tick (--every 30s/5m/1h/1d, the first at once; or --cron "MIN HOUR DOM
MON DOW" in UTC; default every hour) the files under PATH that are new or
changed since the last tick are ingested (a grown file adds only its new
events; unchanged files are not read). If events came in since the last
cycle, one dream cycle runs under the workspace lock (held for the cycle only,
so reviews and other commands keep working) and its report is written to
.reverie/dreams/ (see `reverie dreams list`). Each --export KIND:FILE
(claude-md:CLAUDE.md, agents-md:AGENTS.md) is rewritten when the approved
rules changed, whoever changed them. One line per tick goes to stderr.

SIGINT or SIGTERM stops it after the file or cycle in progress (exit 0). A
failed cycle (the store, the lock, the language model) is logged and tried
again at the next tick. --once runs one tick now and exits (for cron); it
exits 1 if that tick logged an error. Running it under systemd, cron or in a
container: docs/watch.md.
"""


def _log(line: str) -> None:
    err_console.print(line, markup=False, highlight=False, soft_wrap=True)


def watch(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Transcript files or folders to follow.", readable=False),
    ],
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    every: Annotated[
        str | None,
        typer.Option("--every", help="Tick period: 30s, 5m, 1h, 1d (default 1h).",
                     show_default=False),
    ] = None,
    cron: Annotated[
        str | None,
        typer.Option("--cron", help='Tick times, a 5-field cron expression in UTC, e.g. '
                     '"0 3 * * *".', show_default=False),
    ] = None,
    exports: Annotated[
        list[str] | None,
        typer.Option("--export", help="KIND:FILE to keep up to date, e.g. claude-md:CLAUDE.md "
                     "(repeatable).", show_default=False),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Run one tick now and exit (for cron).")
    ] = False,
) -> None:
    from reverie.cli.render import token_counter
    from reverie.rulebook.distillers import make_distiller
    from reverie.rulebook.dream import DreamPolicy
    from reverie.watch.loop import Watcher, parse_export
    from reverie.watch.schedule import parse_schedule
    from reverie.watch.state import watch_lock
    from reverie.watch.stopping import StopFlag

    if once and (every is not None or cron is not None):
        raise ConfigError("--once runs one tick now: leave out --every and --cron")
    schedule = None if once else parse_schedule(every, cron)
    targets = [parse_export(text) for text in exports or []]
    settings = resolve(workspace)
    tenant = tenant or settings.tenant
    stop = StopFlag()
    with (
        stop.on_signals(),
        watch_lock(settings.state_dir / "watch", tenant),
        workspace_for(settings) as ws,
    ):
        watcher = Watcher(
            ws, tenant, paths, exports=targets, distiller=make_distiller(settings),
            policy=DreamPolicy.from_settings(settings),
            counter=token_counter(settings.distill.model, local=False),
            budget=settings.render.default_budget, stop=stop, log=_log,
        )
        when = "one tick" if schedule is None else f"schedule {schedule.text!r}"
        _log(f"reverie watch: {len(paths)} paths into tenant {tenant} of {settings.root}, "
             f"{when}; stop with Ctrl-C or SIGTERM")
        ticks = watcher.run(schedule)
    _log(f"reverie watch: stopped ({stop.reason or 'done'}) after {ticks} ticks")
    if once and watcher.errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command(help=HELP)(watch)
