"""The loop of ``reverie watch``: on each tick, ingest what changed, dream if needed, export.

A tick:

1. **looks** at the watched files (folders are walked as ``reverie ingest``
   walks them) and hands to ingest only those whose size or modification
   time changed since the watch last saw them (the first tick hands all;
   ingest itself skips the ones the store already has at that size and time,
   so nothing unchanged is parsed, and a grown file adds only its new events);
2. **dreams** once (:func:`reverie.workflow.curate`, which holds the
   workspace lock for the cycle only) if events were added since the last
   successful cycle, and writes a dream report (:mod:`reverie.watch.reports`);
3. **exports** each ``--export`` target (:func:`reverie.render.export.export`)
   if the approved rules changed since it was last written (a digest of them,
   kept in :mod:`reverie.watch.state`), whoever changed them: the dream (an
   auto-approval, a retirement) or a reviewer between ticks.

A failure of the store, the lock (another command held it past its timeout),
the language model, a rule file or an export target is logged and the tick
goes on with what it can: a failed cycle stays owed and is tried again at the
next tick. A :class:`~reverie.errors.ConfigError` stops the watch (nothing a
later tick could fix).

A stop (:class:`~reverie.watch.stopping.StopFlag`) is honoured between files
and before a cycle; a cycle that started finishes, with its report and exports.
The library prints nothing: each tick's :class:`TickSummary` goes to ``log``
as one line.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import ConfigError, InputError, ReverieError
from reverie.ingest.pipeline import FileResult, discover, ingest_paths
from reverie.names import check_tenant
from reverie.render.export import EXPORTS, export
from reverie.rulebook.rules import load_rules
from reverie.watch.reports import DreamRecord, ExportNote, record_of, write_report
from reverie.watch.schedule import Schedule
from reverie.watch.state import WatchState, load_state, save_state
from reverie.watch.stopping import StopFlag
from reverie.workflow import curate

if TYPE_CHECKING:
    from reverie.render.tokens import TokenCounter
    from reverie.rulebook.distill import Distiller
    from reverie.rulebook.dream import DreamPolicy
    from reverie.workspace import Workspace

__all__ = [
    "Export",
    "FileTracker",
    "TickSummary",
    "Watcher",
    "approved_digest",
    "parse_export",
]

Stat = tuple[int, int]  # (size, mtime_ns), what ingest compares


@dataclass(frozen=True)
class Export:
    """One ``--export KIND:FILE`` target."""

    kind: str
    into: Path

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.into.resolve()}"


def parse_export(text: str) -> Export:
    """``claude-md:CLAUDE.md`` -> ``Export("claude-md", Path("CLAUDE.md"))``."""
    kind, sep, into = text.partition(":")
    if not sep or not into or kind not in EXPORTS:
        raise ConfigError(
            f"--export {text!r} is not KIND:FILE with KIND one of {', '.join(EXPORTS)} "
            "(e.g. --export claude-md:CLAUDE.md)"
        )
    return Export(kind, Path(into))


class FileTracker:
    """The watched files' size and modification time when the watch last handed them on."""

    def __init__(self, roots: Iterable[Path]) -> None:
        self.roots = [Path(r) for r in roots]
        self.named = {r for r in self.roots if not r.is_dir()}  # given as files, not found
        self.seen: dict[Path, Stat] = {}

    def _files(self) -> Iterable[Path]:
        for root in self.roots:
            if root.is_dir():
                yield from (path for path, _ in discover([root]))
            elif root.exists():
                yield root

    def changed(self) -> list[tuple[Path, Stat]]:
        """Files that are new or whose size or modification time changed, with that stat."""
        found = []
        for path in self._files():
            try:
                st = os.stat(path)
            except OSError:
                continue  # gone, or a dangling link: nothing to read (yet)
            stat = (st.st_size, st.st_mtime_ns)
            if self.seen.get(path) != stat:
                found.append((path, stat))
        return found

    def mark(self, path: Path, stat: Stat) -> None:
        """``path`` was handed on at ``stat``: look at it again only once that changes."""
        self.seen[path] = stat


def approved_digest(rules_dir: Path, tenant: str) -> str:
    """A digest of the tenant's approved rules (ids and whole content): what exports render."""
    h = hashlib.sha256()
    for rule in load_rules(rules_dir, tenant):
        if rule.status == "approved":
            h.update(rule.model_dump_json().encode("utf-8") + b"\n")
    return "sha256:" + h.hexdigest()


class TickSummary(BaseModel):
    """What one tick did; :meth:`line` is its log line."""

    model_config = ConfigDict(extra="forbid")

    tick: int
    at: datetime
    files: int = 0
    unchanged: int = 0
    skipped: int = 0
    new_events: int = 0
    dreamed: list[str] = Field(default_factory=list)
    decisions: dict[str, int] = Field(default_factory=dict)
    exports: int = 0
    report: str | None = None
    errors: list[str] = Field(default_factory=list)

    def line(self) -> str:
        decisions = ",".join(f"{k}:{v}" for k, v in self.decisions.items()) or "-"
        return (
            f"{self.at:%Y-%m-%dT%H:%M:%SZ} tick={self.tick} files={self.files} "
            f"unchanged={self.unchanged} skipped={self.skipped} new_events={self.new_events} "
            f"dreamed={','.join(self.dreamed) or '-'} decisions={decisions} "
            f"exports={self.exports} report={self.report or '-'} errors={len(self.errors)}"
        )


class _Interrupted(Exception):
    """A stop was asked for between two files of an ingest."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Watcher:
    """The watch of ``paths`` into ``tenant`` of ``workspace`` (see the module docstring).

    ``distiller`` and ``policy`` go to :func:`~reverie.workflow.curate` (the
    workspace's by default); ``counter`` and ``budget`` to the exports.
    """

    def __init__(
        self,
        workspace: Workspace,
        tenant: str,
        paths: Sequence[Path],
        *,
        exports: Sequence[Export] = (),
        distiller: Distiller | None = None,
        policy: DreamPolicy | None = None,
        counter: TokenCounter | None = None,
        budget: int | None = None,
        stop: StopFlag | None = None,
        log: Callable[[str], None] = lambda line: None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        try:
            self.tenant = check_tenant(tenant)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        for path in paths:
            if not os.path.lexists(path):
                raise InputError("no such file or folder to watch", path)
        self.ws = workspace
        self.tracker = FileTracker(paths)
        self.exports = list(exports)
        self.distiller, self.policy = distiller, policy
        self.counter, self.budget = counter, budget
        self.stop = stop if stop is not None else StopFlag()
        self.log, self.clock = log, clock
        self.state_dir = workspace.settings.state_dir / "watch"
        self.reports_dir = workspace.settings.state_dir / "dreams"
        self.ticks = 0
        self.errors = 0  # errors logged over every tick

    # -- one tick --------------------------------------------------------------------------
    def tick(self) -> TickSummary:
        """Ingest, dream if events came in since the last cycle, export if rules changed."""
        self.ticks += 1
        summary = TickSummary(tick=self.ticks, at=self.clock())
        state = load_state(self.state_dir, self.tenant)
        changed = dict(self.tracker.changed())
        if changed:  # a crash while ingesting leaves this set: the next start dreams
            state.ingesting = True
            save_state(self.state_dir, self.tenant, state)
            self._ingest(summary, changed)
            state.ingesting, state.pending = False, state.pending or summary.new_events > 0
            save_state(self.state_dir, self.tenant, state)
        if self.stop or not state.pending:
            if not self.stop:
                self._export(summary, state)
            return summary
        record = self._dream(summary)
        if record is not None:
            state.pending = False
            save_state(self.state_dir, self.tenant, state)
        notes = self._export(summary, state)
        if record is not None:
            self._report(summary, record.model_copy(update={"exports": notes}))
        return summary

    def _ingest(self, summary: TickSummary, changed: dict[Path, Stat]) -> None:
        def on_file(path: Path, result: FileResult) -> None:
            summary.files += 1
            summary.unchanged += int(result.unchanged)
            summary.new_events += result.new_events
            if result.error is not None and (result.failed or path in self.tracker.named):
                summary.errors.append(f"not ingested {path}: {result.error}")
            elif result.error is not None:  # in a folder and not a transcript: as ingest does
                summary.skipped += 1
            if not result.failed:  # a failed file (unreadable, a bug) is tried again
                self.tracker.mark(path, changed[path])
            self.stop.pause_point("ingested-file")
            if self.stop:
                raise _Interrupted

        try:
            ingest_paths(self.ws, self.tenant, list(changed), on_file=on_file)
        except _Interrupted:
            pass
        except ConfigError:
            raise
        except ReverieError as exc:  # the store failed: that file was rolled back
            summary.errors.append(f"ingest: {type(exc).__name__}: {exc}")

    def _dream(self, summary: TickSummary) -> DreamRecord | None:
        def progress(stage: str, advance: int, _total: int | None) -> None:
            if stage == "dreaming" and advance == 0:
                self.stop.pause_point("dreaming")

        try:
            report = curate(self.ws, self.tenant, now=summary.at, policy=self.policy,
                            distiller=self.distiller, progress=progress)
        except ConfigError:
            raise
        except ReverieError as exc:
            summary.errors.append(f"dream: {type(exc).__name__}: {exc} (tried again next tick)")
            return None
        self.stop.pause_point("dreamed")
        summary.dreamed.append(self.tenant)
        summary.decisions = report.counts()
        return record_of(report, finished=self.clock(), files=summary.files,
                         new_events=summary.new_events)

    def _export(self, summary: TickSummary, state: WatchState) -> list[ExportNote]:
        if not self.exports:
            return []
        try:
            digest = approved_digest(self.ws.rules_dir, self.tenant)
        except ReverieError as exc:
            summary.errors.append(f"export: {type(exc).__name__}: {exc}")
            return []
        notes = []
        for target in self.exports:
            if state.exported.get(target.key) == digest and target.into.exists():
                continue
            try:
                result = export(self.ws, self.tenant, target.kind, target.into, agent=None,
                                at=summary.at, budget=self.budget, counter=self.counter)
            except ConfigError:
                raise
            except ReverieError as exc:
                summary.errors.append(f"export {target.into}: {type(exc).__name__}: {exc}")
                continue
            notes.append(ExportNote(kind=target.kind, path=result.path, action=result.action))
            summary.exports += int(result.action != "unchanged")
            state.exported[target.key] = digest
        if notes:
            save_state(self.state_dir, self.tenant, state)
        return notes

    def _report(self, summary: TickSummary, record: DreamRecord) -> None:
        try:
            summary.report = write_report(self.reports_dir, record).id
        except OSError as exc:
            summary.errors.append(f"dream report: {exc}")

    # -- the schedule ----------------------------------------------------------------------
    def _sleep_until(self, due: datetime) -> bool:
        """Wait for ``due`` (in steps of a minute at most, so a changed clock is noticed);
        True if a stop came first."""
        while not self.stop:
            left = (due - self.clock()).total_seconds()
            if left <= 0:
                return False
            self.stop.wait(min(left, 60.0))
        return True

    def run(self, schedule: Schedule | None) -> int:
        """Tick on ``schedule`` until stopped (``None``: one tick now); the ticks run."""
        now = self.clock()
        due = now if schedule is None else schedule.first(now)
        if due > now:
            self.log(f"{now:%Y-%m-%dT%H:%M:%SZ} first tick at {due:%Y-%m-%dT%H:%M:%SZ}")
        while not self._sleep_until(due):
            summary = self.tick()
            self.errors += len(summary.errors)
            for error in summary.errors:
                self.log(f"{summary.at:%Y-%m-%dT%H:%M:%SZ} error: {error}")
            self.log(summary.line())
            if schedule is None or self.stop:
                break
            due = schedule.following(due, self.clock())
        return self.ticks
