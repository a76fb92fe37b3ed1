"""``reverie watch``: ingest, dream and export on a schedule, between agents' sessions.

:mod:`~reverie.watch.schedule` (``--every``, ``--cron``),
:mod:`~reverie.watch.loop` (a tick, and ticking on a schedule),
:mod:`~reverie.watch.reports` (the dream report of each cycle),
:mod:`~reverie.watch.state` (what a restart must not forget) and
:mod:`~reverie.watch.stopping` (SIGINT/SIGTERM finish what was started).
"""

from reverie.watch.loop import Export, TickSummary, Watcher, approved_digest, parse_export
from reverie.watch.reports import DreamRecord, list_reports, load_report, write_report
from reverie.watch.schedule import Cron, Every, parse_cron, parse_every, parse_schedule
from reverie.watch.stopping import StopFlag

__all__ = [
    "Cron",
    "DreamRecord",
    "Every",
    "Export",
    "StopFlag",
    "TickSummary",
    "Watcher",
    "approved_digest",
    "list_reports",
    "load_report",
    "parse_cron",
    "parse_every",
    "parse_export",
    "parse_schedule",
    "write_report",
]
