"""``reverie watch`` as a real process: new files are ingested and dreamed, grown files add
only their new events, idle ticks dream nothing, exports follow approved rules, and
SIGTERM mid-cycle leaves the workspace whole."""

from __future__ import annotations

import json
import signal
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reverie.audit.log import AuditLog
from reverie.cli import app
from reverie.rulebook.rules import load_rules
from reverie.settings import load_settings
from reverie.store import open_store
from reverie.workspace import Workspace

from .conftest import Corpus
from .running import Watch, reverie


def _reports(ws: Path) -> list[dict]:
    folder = ws / ".reverie" / "dreams"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def _events(ws: Path) -> int:
    store = open_store(load_settings(ws))
    try:
        return store.stats("default").events
    finally:
        store.close()


def _entries(ws: Path) -> list[tuple[str, str | None]]:
    return [(e.action, e.rule_id) for e in AuditLog(ws / ".reverie").entries()]


def _verify(ws: Path) -> None:
    done = reverie("-w", str(ws), "audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_new_transcript_is_ingested_and_dreamed_and_idle_ticks_dream_nothing(
    ws: Path, corpus: Corpus, watches: list[Watch]
) -> None:
    watch = Watch(ws, str(corpus.inbox), "--every", "1s")
    watches.append(watch)
    first = watch.tick(1)
    assert (first.files, first.dreamed, first.report) == (0, "-", "-")
    before = len(watch.ticks())
    corpus.deliver()
    dreamed = watch.next_tick_where(lambda t: t.dreamed != "-", "a tick that dreams", before)
    assert (dreamed.files, dreamed.new_events, dreamed.dreamed) == (6, corpus.events, "default")
    [report] = _reports(ws)
    assert report["id"] == dreamed.report and report["new_events"] == corpus.events
    mined = {r.id: r for r in load_rules(ws / "rules", "default") if not r.seeded}
    assert report["changes"]["proposed"] and set(report["changes"]["proposed"]) == set(mined)
    assert all(mined[i].status == "proposed" for i in report["changes"]["proposed"])
    logged = _entries(ws)
    assert Counter(a for a, _ in logged) == Counter(report["counts"])
    assert {("propose", i) for i in report["changes"]["proposed"]} <= set(logged)
    assert (ws / ".reverie" / "dreams" / f"{report['id']}.md").read_text().count("| proposed |")
    # two idle ticks: nothing read, no cycle, no report
    for _ in range(2):
        idle = watch.next_tick_where(lambda t: True, "an idle tick")
        assert (idle.files, idle.new_events, idle.dreamed, idle.report) == (0, 0, "-", "-")
    assert len(_reports(ws)) == 1 and len(_entries(ws)) == len(logged)
    assert watch.stop() == 0
    assert "stopped (SIGTERM)" in watch.text()
    _verify(ws)
    listed = reverie("-w", str(ws), "dreams", "list", "--json")
    assert [r["id"] for r in json.loads(listed.stdout)] == [report["id"]]
    shown = reverie("-w", str(ws), "dreams", "show", "latest")
    assert all(i in shown.stdout for i in report["changes"]["proposed"]), shown.stdout


def test_a_grown_file_adds_only_its_new_events_and_a_restart_reads_nothing_again(
    ws: Path, corpus: Corpus, watches: list[Watch], tmp_path: Path
) -> None:
    source = corpus.staged[0]
    lines = source.read_bytes().splitlines(keepends=True)
    target = corpus.inbox / "grown.jsonl"
    target.write_bytes(b"".join(lines[: len(lines) // 2]))
    watch = Watch(ws, str(corpus.inbox), "--every", "1s")
    watches.append(watch)
    half = watch.tick(1)
    assert (half.files, half.unchanged) == (1, 0) and half.new_events > 0
    before = len(watch.ticks())
    with target.open("ab") as fh:
        fh.write(b"".join(lines[len(lines) // 2 :]))
    grown = watch.next_tick_where(lambda t: t.files > 0, "the tick that reads the grown file",
                                  before)
    assert (grown.files, grown.unchanged) == (1, 0)
    # what the whole file holds, ingested at once into another workspace
    whole = tmp_path / "whole"
    assert reverie("init", str(whole)).returncode == 0
    assert reverie("-w", str(whole), "ingest", str(source)).returncode == 0
    assert half.new_events + grown.new_events == _events(whole) == _events(ws)
    assert grown.dreamed == "default"
    assert watch.stop() == 0

    again = Watch(ws, str(corpus.inbox), "--every", "1s")
    watches.append(again)
    first = again.tick(1)
    # a new watch hands the file on once; ingest finds it unchanged (size and mtime)
    assert (first.files, first.unchanged, first.new_events, first.dreamed) == (1, 1, 0, "-")
    second = again.tick(2)
    assert (second.files, second.new_events) == (0, 0)
    assert again.stop() == 0
    assert _events(ws) == _events(whole)


@pytest.mark.parametrize("point", ["dreaming", "dreamed"])
def test_sigterm_while_a_cycle_runs_finishes_the_cycle_and_exits_0(
    ws: Path, corpus: Corpus, watches: list[Watch], tmp_path: Path, point: str
) -> None:
    """Paused after mining (before the dream writes) or after the dream (before its report):
    either way the cycle, its report and its audit entries are whole."""
    corpus.deliver()
    ready = tmp_path / "paused"
    watch = Watch(ws, str(corpus.inbox), "--every", "1s",
                  env={"REVERIE_TEST_WATCH_PAUSE": f"{point}:{ready}"})
    watches.append(watch)
    watch.paused(point)
    assert ready.read_text() == point
    assert not _reports(ws)
    assert bool(_entries(ws)) == (point == "dreamed")  # mined only, or dreamt already
    assert watch.stop(signal.SIGTERM) == 0
    [tick] = watch.ticks()
    assert tick.dreamed == "default" and tick.new_events == corpus.events
    [report] = _reports(ws)
    assert Counter(a for a, _ in _entries(ws)) == Counter(report["counts"])
    assert len(report["decisions"]) == len(_entries(ws))
    assert {r.id for r in load_rules(ws / "rules", "default") if not r.seeded} == set(
        report["changes"]["proposed"])
    assert _events(ws) == corpus.events
    assert not (ws / ".reverie" / "journal.json").exists()
    _verify(ws)


def test_sigterm_between_files_stops_after_that_file_and_the_next_start_dreams(
    ws: Path, corpus: Corpus, watches: list[Watch], tmp_path: Path
) -> None:
    corpus.deliver()
    ready = tmp_path / "paused"
    watch = Watch(ws, str(corpus.inbox), "--every", "1s",
                  env={"REVERIE_TEST_WATCH_PAUSE": f"ingested-file:{ready}"})
    watches.append(watch)
    watch.paused("ingested-file")
    assert ready.exists()
    assert watch.stop(signal.SIGINT) == 0
    [tick] = watch.ticks()
    assert (tick.files, tick.dreamed, tick.report) == (1, "-", "-")
    assert _events(ws) == tick.new_events > 0  # exactly the one file, whole
    assert not _reports(ws) and not _entries(ws)
    state = json.loads((ws / ".reverie" / "watch" / "default.json").read_text())
    assert state["pending"] is True  # the dream is owed

    again = Watch(ws, str(corpus.inbox), "--every", "1s")
    watches.append(again)
    first = again.tick(1)
    assert (first.files, first.unchanged, first.dreamed) == (6, 1, "default")
    assert tick.new_events + first.new_events == corpus.events == _events(ws)
    assert again.stop() == 0
    assert len(_reports(ws)) == 1
    _verify(ws)


def test_a_busy_workspace_fails_the_cycle_which_is_tried_again_at_the_next_tick(
    ws: Path, corpus: Corpus, watches: list[Watch]
) -> None:
    corpus.deliver()
    with Workspace.open(ws) as held, held.locked("a long review"):
        watch = Watch(ws, str(corpus.inbox), "--every", "1s",
                      env={"REVERIE_LOCK_TIMEOUT": "0.2"})
        watches.append(watch)
        failed = watch.tick(1)
        assert (failed.new_events, failed.dreamed, failed.errors) == (corpus.events, "-", 1)
        assert "WorkspaceBusy" in watch.text() and "a long review" in watch.text()
        before_release = len(watch.ticks())
    retried = watch.next_tick_where(lambda t: t.dreamed != "-", "the retried cycle",
                                    before_release)
    assert (retried.files, retried.new_events, retried.errors) == (0, 0, 0)
    assert watch.stop() == 0
    [report] = _reports(ws)
    assert report["changes"]["proposed"]
    _verify(ws)


def test_the_export_is_rewritten_only_when_approved_rules_change(
    ws: Path, corpus: Corpus, watches: list[Watch]
) -> None:
    corpus.deliver()
    claude = ws.parent / "CLAUDE.md"
    watch = Watch(ws, str(corpus.inbox), "--every", "1s", "--export", f"claude-md:{claude}")
    watches.append(watch)
    first = watch.tick(1)
    assert first.dreamed == "default" and first.exports == 1
    before = (claude.stat().st_mtime_ns, claude.read_bytes())
    [report] = _reports(ws)
    rule_id = report["changes"]["proposed"][0]
    assert rule_id not in before[1].decode()  # proposed, not approved: not exported
    for _ in range(2):
        assert watch.next_tick_where(lambda t: True, "an idle tick").exports == 0
    assert (claude.stat().st_mtime_ns, claude.read_bytes()) == before

    # a reviewer approves while the watch runs: the lock is free between ticks
    before_approval = len(watch.ticks())
    approved = reverie("-w", str(ws), "review", "approve", rule_id, "--reason", "seen it",
                       "--reviewer", "tester")
    assert approved.returncode == 0, approved.stderr
    rewritten = watch.next_tick_where(lambda t: t.exports > 0, "the export after approval",
                                      before_approval)
    assert (rewritten.files, rewritten.dreamed) == (0, "-")
    after = (claude.stat().st_mtime_ns, claude.read_bytes())
    assert after != before and rule_id in after[1].decode()
    for _ in range(2):
        assert watch.next_tick_where(lambda t: True, "an idle tick").exports == 0
    assert (claude.stat().st_mtime_ns, claude.read_bytes()) == after
    assert watch.stop() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--every", "5 minutes"), "--every '5 minutes'"),
        (("--every", "0s"), "--every '0s'"),
        (("--cron", "0 3 * *"), "--cron '0 3 * *' has 4 fields"),
        (("--cron", "61 * * * *"), "minute 61 is out of range 0-59"),
        (("--cron", "0 0 31 4 *"), "matches no date"),
        (("--every", "1m", "--cron", "* * * * *"), "not both"),
        (("--once", "--every", "1m"), "--once runs one tick now"),
        (("--export", "readme:README.md"), "--export 'readme:README.md'"),
    ],
)
def test_bad_options_exit_2_naming_the_value(
    ws: Path, corpus: Corpus, args: tuple[str, ...], message: str
) -> None:
    done = CliRunner().invoke(app, ["-w", str(ws), "watch", str(corpus.inbox), *args])
    assert done.exit_code == 2 and message in " ".join(done.stderr.split()), done.stderr
    assert not (ws / ".reverie" / "watch").exists()  # refused before anything started


def test_once_runs_one_tick_and_a_second_watch_of_the_tenant_is_refused(
    ws: Path, corpus: Corpus, watches: list[Watch]
) -> None:
    corpus.deliver()
    once = reverie("-w", str(ws), "watch", str(corpus.inbox), "--once")
    assert once.returncode == 0, once.stderr
    assert "tick=1 files=6" in once.stderr and "dreamed=default" in once.stderr
    assert "tick=2" not in once.stderr
    watch = Watch(ws, str(corpus.inbox), "--every", "1h")
    watches.append(watch)
    assert watch.tick(1).files == 6  # a new process looks at every file once
    second = reverie("-w", str(ws), "watch", str(corpus.inbox), "--once")
    assert second.returncode == 2 and "another `reverie watch` runs" in second.stderr
    assert watch.stop(signal.SIGINT) == 0  # a long sleep is cut short
    assert len(_reports(ws)) == 1
    bad = ws.parent / "not-a-transcript.json"
    bad.write_text("{}")
    failing = reverie("-w", str(ws), "watch", str(corpus.inbox), str(bad), "--once")
    assert failing.returncode == 1 and "error: not ingested" in failing.stderr
