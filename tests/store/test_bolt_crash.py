"""A Bolt server killed mid-ingest loses nothing that was reported as ingested.

These tests start their own ArcadeDB server (not the session's shared one),
kill it with SIGKILL while a file is being written, start it again on the same
data folder, and re-run the ingest the way ``reverie ingest`` does (skipping
files whose recorded size and mtime match).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reverie.errors import StoreError
from reverie.models import ParsedSession
from reverie.store.base import SourceState
from reverie.store.bolt import BoltStore
from reverie.testing.arcadedb import ArcadeDBServer
from reverie.testing.synthetic import synthetic_file

pytestmark = [pytest.mark.bolt, pytest.mark.slow]

TENANT = "crash"
FILES = 5
SESSIONS, EVENTS = 4, 40


def _corpus() -> list[tuple[SourceState, list[ParsedSession]]]:
    return [
        synthetic_file(TENANT, f"/data/run/f{i}.jsonl", sessions=SESSIONS, events=EVENTS)
        for i in range(FILES)
    ]


def _kill_after(
    sessions: list[ParsedSession], n: int, kill: Callable[[], None]
) -> Iterator[ParsedSession]:
    for i, parsed in enumerate(sessions):
        if i == n:
            kill()
        yield parsed


def _ingest(store: BoltStore, corpus: list[tuple[SourceState, list[ParsedSession]]]) -> int:
    """Write every file whose recorded state differs, as ingest does; return how many."""
    written = 0
    for state, sessions in corpus:
        known = store.source_state(TENANT, state.path)
        if known is not None and (known.size, known.mtime_ns) == (state.size, state.mtime_ns):
            continue
        store.write_file(TENANT, state, sessions)
        written += 1
    return written


def _assert_exact(store: BoltStore, corpus: list[tuple[SourceState, list[ParsedSession]]]) -> None:
    stats = store.stats(TENANT)
    assert stats.events == FILES * SESSIONS * EVENTS
    assert stats.sessions == FILES * SESSIONS
    assert stats.sources == FILES
    assert stats.outcomes == sum(p.outcome is not None for _, ss in corpus for p in ss)
    for state, _ in corpus:
        assert store.source_state(TENANT, state.path).events == SESSIONS * EVENTS  # type: ignore[union-attr]
    dupes = store._rows(
        "MATCH (e:Event {tenant: $t}) RETURN count(e) AS n, count(DISTINCT e.id) AS d",
        "counting", t=TENANT,
    )[0]
    assert dupes["n"] == dupes["d"]
    edges = store._rows(
        "MATCH (e:Event {tenant: $t})-[r:IN_SESSION]->(:Session) RETURN count(r) AS n",
        "counting", t=TENANT,
    )[0]
    assert edges["n"] == FILES * SESSIONS * EVENTS


def test_killed_server_mid_file_then_rerun_completes_exactly(tmp_path: Path) -> None:
    corpus = _corpus()
    server = ArcadeDBServer(tmp_path / "adb", heap="512m").start()
    try:
        store = BoltStore(server.uri, server.auth, server.database, retry_seconds=1.0,
                          batch_size=50)
        done: list[str] = []
        with pytest.raises(StoreError, match="failed after retrying"):
            for n, (state, sessions) in enumerate(corpus):
                source = _kill_after(sessions, 2, server.kill) if n == 2 else sessions
                store.write_file(TENANT, state, source)
                done.append(state.path)
        store.close()
        assert done == [corpus[0][0].path, corpus[1][0].path]

        server.start()  # same folder, same ports: the data comes back
        store = BoltStore(server.uri, server.auth, server.database, batch_size=50)
        try:
            for state, _ in corpus[:2]:  # what was reported as ingested is all there
                assert store.source_state(TENANT, state.path).events == SESSIONS * EVENTS  # type: ignore[union-attr]
            assert store.source_state(TENANT, corpus[2][0].path) is None
            partial = store.stats(TENANT).events
            assert 2 * SESSIONS * EVENTS < partial < 3 * SESSIONS * EVENTS

            assert _ingest(store, corpus) == FILES - 2
            _assert_exact(store, corpus)
            assert _ingest(store, corpus) == 0
        finally:
            store.close()
    finally:
        server.cleanup()


def test_server_restarted_during_a_write_is_retried_transparently(tmp_path: Path) -> None:
    corpus = _corpus()
    server = ArcadeDBServer(tmp_path / "adb", heap="512m").start()
    restarter: list[threading.Thread] = []

    def crash_and_restart() -> None:
        server.kill()
        thread = threading.Thread(target=server.start, kwargs={"timeout": 120})
        thread.start()
        restarter.append(thread)

    try:
        store = BoltStore(server.uri, server.auth, server.database, retry_seconds=120,
                          batch_size=50)
        try:
            for n, (state, sessions) in enumerate(corpus):
                source = _kill_after(sessions, 1, crash_and_restart) if n == 1 else sessions
                result = store.write_file(TENANT, state, source)
                assert result.events == SESSIONS * EVENTS
            restarter[0].join()
            _assert_exact(store, corpus)
        finally:
            store.close()
    finally:
        for thread in restarter:
            thread.join()
        server.cleanup()
