"""The watch loop in process: which files are handed to ingest, a failed cycle tried again,
the approved-rules digest, dream reports, and stopping."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reverie.errors import InputError, StoreError
from reverie.rulebook.review import review
from reverie.synth import write_corpus
from reverie.watch import reports as reports_mod
from reverie.watch.loop import Watcher, approved_digest
from reverie.watch.reports import DreamRecord, list_reports, load_report, write_report
from reverie.watch.schedule import parse_every
from reverie.watch.state import WatchState, load_state, save_state
from reverie.watch.stopping import StopFlag
from reverie.workspace import Workspace

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _corpus(folder: Path, sessions: int = 6) -> list[Path]:
    return sorted(write_corpus(folder, sessions=sessions, steps=12, agents=2, seed=3,
                               motif_rate=0.9, noise_rate=0).files)


def test_unchanged_files_are_not_handed_to_ingest_even_if_their_bytes_changed(
    space: Workspace, tmp_path: Path
) -> None:
    """The watch compares size and mtime, as ingest does: a file rewritten in place with the
    same size and mtime is not read again (proof that nothing unchanged is parsed)."""
    files = _corpus(tmp_path / "in", sessions=3)
    watcher = Watcher(space, "default", [tmp_path / "in"])
    first = watcher.tick()
    assert first.files == 3 and first.new_events > 0
    victim = files[0]
    st = victim.stat()
    victim.write_bytes(b"x" * st.st_size)  # not a transcript any more ...
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))  # ... but looks unchanged
    second = watcher.tick()
    assert (second.files, second.new_events, second.errors) == (0, 0, [])
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    third = watcher.tick()  # now it changed: handed on, and its bad lines reported by ingest
    assert third.files == 1 and third.new_events == 0


def test_files_not_ingested_are_skipped_in_folders_and_errors_when_named(
    space: Workspace, tmp_path: Path
) -> None:
    """As ``reverie ingest``: a non-transcript inside a folder is skipped, a named one is an
    error; neither is looked at again until it changes. An unreadable one is tried again."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "notes.json").write_text('{"hello": "world"}')  # no adapter claims it
    named = tmp_path / "named.json"
    named.write_text('{"hello": "world"}')
    broken = tmp_path / "broken.jsonl"
    broken.symlink_to(tmp_path / "missing-target.jsonl")
    watcher = Watcher(space, "default", [inbox, named, broken])
    first = watcher.tick()
    assert (first.files, first.skipped) == (2, 1)  # the dangling link has no stat: not handed
    assert len(first.errors) == 1 and "named.json" in first.errors[0]
    assert watcher.tick().files == 0
    (tmp_path / "missing-target.jsonl").write_bytes(b"")
    assert watcher.tick().files == 1  # the link now resolves: handed on


def test_a_store_error_in_a_cycle_is_logged_and_the_cycle_tried_again(
    space: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reverie.watch import loop

    _corpus(tmp_path / "in")
    real = loop.curate
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise StoreError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "curate", flaky)
    watcher = Watcher(space, "default", [tmp_path / "in"])
    failed = watcher.tick()
    assert failed.new_events > 0 and failed.dreamed == [] and failed.report is None
    assert failed.errors == ["dream: StoreError: database is locked (tried again next tick)"]
    assert load_state(space.settings.state_dir / "watch", "default").pending
    retried = watcher.tick()
    assert (retried.files, retried.new_events, retried.dreamed) == (0, 0, ["default"])
    assert retried.report is not None and retried.decisions.get("propose", 0) >= 1
    assert not load_state(space.settings.state_dir / "watch", "default").pending
    assert watcher.tick().dreamed == []  # nothing new: no cycle
    assert len(calls) == 2


def test_the_approved_digest_follows_approved_rules_only(
    space: Workspace, tmp_path: Path
) -> None:
    _corpus(tmp_path / "in")
    rules_dir = space.rules_dir
    before = approved_digest(rules_dir, "default")
    summary = Watcher(space, "default", [tmp_path / "in"]).tick()
    assert summary.decisions.get("propose", 0) >= 1
    assert approved_digest(rules_dir, "default") == before  # proposed rules are not exported
    [record] = list_reports(space.settings.state_dir / "dreams")
    review(space, "default", record.changes["proposed"][0], "approve", reviewer="tester",
           reason="seen it", now=T0)
    approved = approved_digest(rules_dir, "default")
    assert approved != before
    assert approved_digest(rules_dir, "other-tenant") == approved_digest(rules_dir, "nobody")


def _record(tenant: str = "default", at: datetime = T0, **extra: Any) -> DreamRecord:
    return DreamRecord(tenant=tenant, at=at, finished=at, files=1, new_events=5, motifs=1,
                       rules=1, **extra)


def test_reports_of_one_second_get_their_own_ids_and_read_back(tmp_path: Path) -> None:
    folder = tmp_path / "dreams"
    a = write_report(folder, _record(changes={"proposed": ["R-0004"]}))
    b = write_report(folder, _record())
    c = write_report(folder, _record("acme"))
    assert (a.id, b.id, c.id) == ("20261201T030000Z", "20261201T030000Z-2",
                                  "20261201T030000Z-3")
    assert [r.id for r in list_reports(folder, "default")] == [a.id, b.id]
    assert load_report(folder, "latest", "acme").id == c.id
    assert load_report(folder, a.id).changes == {"proposed": ["R-0004"]}
    assert "| proposed | 1 | R-0004 |" in (folder / f"{a.id}.md").read_text()
    with pytest.raises(InputError, match="for tenant 'acme'"):
        load_report(folder, a.id, "acme")
    with pytest.raises(InputError, match=re.escape("no dream report '../x'")):
        load_report(folder, "../x")
    (folder / "broken.json").write_text("{")
    with pytest.raises(InputError, match=re.escape("broken.json: not a dream report")):
        list_reports(folder)
    assert not list(folder.glob(".*"))  # no temporary file left behind
    assert reports_mod.CHANGES["merged"] == ("propose_merge", "merge_into_seeded")


def test_a_signal_sets_the_flag_and_cuts_a_sleep_short(space: Workspace, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    stop = StopFlag()
    lines: list[str] = []

    def log(line: str) -> None:  # after the first tick, a signal comes while it sleeps
        lines.append(line)
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()

    watcher = Watcher(space, "default", [tmp_path / "in"], stop=stop, log=log)
    started = time.monotonic()
    with stop.on_signals():
        ticks = watcher.run(parse_every("1h"))  # would sleep an hour after the tick
    assert ticks == 1 and stop.reason == "SIGTERM" and time.monotonic() - started < 30
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handlers restored
    assert len(lines) == 1 and "tick=1 files=0" in lines[0]


def test_a_missing_path_is_an_input_error(space: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder to watch"):
        Watcher(space, "default", [tmp_path / "nope"])


def test_a_watch_killed_while_ingesting_dreams_at_its_next_start(
    space: Workspace, tmp_path: Path
) -> None:
    """SIGKILL cannot be handled: the ``ingesting`` mark left behind makes the next start
    dream what the killed one ingested (its files are unchanged now, so nothing else would)."""
    _corpus(tmp_path / "in")
    folder = space.settings.state_dir / "watch"
    Watcher(space, "default", [tmp_path / "in"]).tick()
    assert watcher_state(folder) == (False, False)
    save_state(folder, "default", WatchState(ingesting=True))  # as a kill mid-ingest leaves it
    assert load_state(folder, "default").pending
    again = Watcher(space, "default", [tmp_path / "in"]).tick()
    assert (again.new_events, again.dreamed) == (0, ["default"])
    assert watcher_state(folder) == (False, False)


def watcher_state(folder: Path) -> tuple[bool, bool]:
    state = load_state(folder, "default")
    return state.pending, state.ingesting
