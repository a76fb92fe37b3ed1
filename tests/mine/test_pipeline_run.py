"""A mining run as a whole: sessions read once and whole, the collector and the store's
page cache left as they were, the CPU time of each stage charged to it."""

from __future__ import annotations

import gc

import pytest

from reverie.mine import mine, mine_events
from reverie.mine.timing import STAGES, StageClock
from reverie.store.mining_base import MiningEvent
from reverie.testing.planted import write_planted


def _event(session: str, seq: int) -> MiningEvent:
    return MiningEvent(f"{session}-{seq}", session, seq, "message", "assistant", "agent", None,
                       None, None, False, None, None, None, 0, None)


def test_a_session_split_in_two_is_an_error() -> None:
    events = [_event("a", 0), _event("b", 0), _event("a", 1)]
    with pytest.raises(ValueError, match="events of session a are not contiguous"):
        mine_events("t", events, {})
    assert mine_events("t", events[:2], {}).sessions == 2


def test_every_stage_is_timed(store) -> None:
    write_planted(store, "acme", sessions=12, steps=10, seed=2)
    clock = StageClock()
    mine(store, "acme", min_sessions=2, clock=clock)
    assert set(clock.seconds) == set(STAGES)
    assert all(seconds >= 0 for seconds in clock.seconds.values())


def test_mining_leaves_the_garbage_collector_as_it_was(workspace, store) -> None:
    write_planted(store, "acme", sessions=12, steps=10, seed=2)
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            mine(store, "acme", min_sessions=2)
            assert gc.isenabled() is enabled
        finally:
            gc.enable()


def test_mining_restores_the_page_cache(workspace, store) -> None:
    write_planted(store, "acme", sessions=12, steps=10, seed=2)
    conn = store._conn
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    assert -before > 8_192, "the store's own cache is larger than mining's"
    mine(store, "acme", min_sessions=2)
    events = store.failure_candidates("acme")
    next(events)  # reading: mining's small cache
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == -8_192
    events.close()
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == before
