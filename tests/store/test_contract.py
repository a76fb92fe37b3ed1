"""The store contract: every ``GraphStore`` passes these, embedded and Bolt alike.

The ``store`` fixture (tests/store/conftest.py) runs each test on the embedded
SQLite store (a temp file) and on the Bolt store (the ArcadeDB server the test
session started, or the Neo4j named by ``REVERIE_NEO4J_URI``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from reverie.errors import InputError
from reverie.ingest.pipeline import ingest_paths
from reverie.models import ParsedSession
from reverie.settings import Settings
from reverie.store.base import GraphStore
from reverie.testing.synthetic import synthetic_file
from reverie.workspace import Workspace


def _write(store: GraphStore, tenant: str, path: str, **kw: int) -> list[ParsedSession]:
    state, sessions = synthetic_file(tenant, path, **kw)
    store.write_file(tenant, state, sessions)
    return sessions


def test_round_trip_gives_back_what_was_written(store: GraphStore, tenant: str) -> None:
    state, sessions = synthetic_file(tenant, "/data/a.jsonl", sessions=3, events=25)
    result = store.write_file(tenant, state, sessions)
    assert (result.sessions, result.events, result.new_events) == (3, 75, 75)
    assert result.outcomes == sum(p.outcome is not None for p in sessions)

    written = [ev for p in sessions for ev in p.events]
    assert list(store.events(tenant)) == sorted(written, key=lambda e: (e.session_id, e.seq))
    by_id = {s.id: s for s in store.sessions(tenant)}
    for p in sessions:
        got = by_id[p.session.id]
        assert got.model_dump(exclude={"parent_native_id", "parent_call_id"}) == (
            p.session.model_dump(exclude={"parent_native_id", "parent_call_id"})
        )
    outcomes = store.outcomes(tenant)
    for p in sessions:
        if p.outcome is None:
            assert p.session.id not in outcomes
        else:
            assert outcomes[p.session.id].success == p.outcome.success
            assert outcomes[p.session.id].reward == p.outcome.reward
    assert store.source_state(tenant, "/data/a.jsonl") == state.model_copy(update={"events": 75})


def test_stats_count_what_was_written(store: GraphStore, tenant: str) -> None:
    sessions = _write(store, tenant, "/data/a.jsonl", sessions=4, events=20)
    sessions += _write(store, tenant, "/data/b.jsonl", sessions=2, events=10, agents=1)
    events = [ev for p in sessions for ev in p.events]
    stats = store.stats(tenant)
    assert stats.sessions == 6
    assert stats.agents == len({p.session.agent for p in sessions})
    assert stats.events == len(events) == 100
    assert stats.events_by_kind == dict(Counter(ev.kind for ev in events))
    assert stats.tool_calls == sum(ev.kind == "tool_call" for ev in events)
    assert stats.tool_errors == sum(ev.kind == "tool_result" and ev.is_error for ev in events)
    assert stats.outcomes == sum(p.outcome is not None for p in sessions)
    assert stats.sources == 2


def test_real_transcripts_round_trip(store: GraphStore, tenant: str, real_data: Path,
                                     tmp_path: Path) -> None:
    settings = Settings(root=tmp_path)
    summary = ingest_paths(Workspace(settings, store=store), tenant, [real_data], workers=1)
    assert summary.files > 0 and summary.events > 0
    stats = store.stats(tenant)
    # a session may span files, so the store holds at most the sessions the files held
    assert (stats.events, stats.sources) == (summary.new_events, summary.files)
    sessions = {s.id for s in store.sessions(tenant)}
    assert len(sessions) == stats.sessions <= summary.sessions
    assert stats.outcomes == len(store.outcomes(tenant)) <= summary.outcomes
    events = list(store.events(tenant))
    assert len(events) == summary.new_events <= summary.events
    assert {e.session_id for e in events} <= sessions
    assert [(e.session_id, e.seq) for e in events] == sorted((e.session_id, e.seq) for e in events)
    assert all(Path(e.source.file).is_absolute() and e.source.line >= 0 for e in events)


def test_reingest_is_a_no_op(store: GraphStore, tenant: str, real_data: Path,
                             tmp_path: Path) -> None:
    ws = Workspace(Settings(root=tmp_path), store=store)
    first = ingest_paths(ws, tenant, [real_data / "claude_code"], workers=1)
    before = store.stats(tenant)
    again = ingest_paths(ws, tenant, [real_data / "claude_code"], workers=1)
    assert again.unchanged_files == first.files > 0
    forced = ingest_paths(ws, tenant, [real_data / "claude_code"], force=True, workers=1)
    assert forced.new_events == 0 and forced.events == first.events > 0
    assert store.stats(tenant) == before


def test_a_grown_file_adds_only_its_new_events(store: GraphStore, tenant: str) -> None:
    state, sessions = synthetic_file(tenant, "/data/g.jsonl", sessions=2, events=12)
    store.write_file(tenant, state, sessions)
    grown_state, grown = synthetic_file(tenant, "/data/g.jsonl", sessions=3, events=15, seed=0)
    grown_state = grown_state.model_copy(update={"size": state.size + 500})
    result = store.write_file(tenant, grown_state, grown)
    # 2 sessions gained 3 events each, 1 session is new with 15
    assert result.new_events == 2 * 3 + 15
    assert store.stats(tenant).events == 45
    assert store.source_state(tenant, "/data/g.jsonl").size == state.size + 500  # type: ignore[union-attr]


def test_tenants_are_isolated(store: GraphStore, tenant: str, new_tenant) -> None:  # type: ignore[no-untyped-def]
    other = new_tenant()
    mine = _write(store, tenant, "/data/shared.jsonl", sessions=2, events=9)
    assert store.stats(other).events == 0
    assert store.sessions(other) == [] and list(store.events(other)) == []
    assert store.outcomes(other) == {}
    assert store.source_state(other, "/data/shared.jsonl") is None
    assert store.find_session(other, mine[0].session.native_id) is None
    assert store.find_session(other, mine[0].session.id) is None
    assert store.to_networkx(other).number_of_nodes() == 0

    theirs = _write(store, other, "/data/shared.jsonl", sessions=1, events=6)
    assert {e.session_id for e in store.events(other)} == {theirs[0].session.id}
    assert store.stats(tenant).events == 18 and store.stats(other).events == 6
    assert tenant in store.tenants() and other in store.tenants()
    assert store.tenants() == sorted(store.tenants())


def test_find_session_by_id_native_id_and_prefix(store: GraphStore, tenant: str) -> None:
    sessions = _write(store, tenant, "/data/f.jsonl", sessions=2, events=3)
    s0 = sessions[0].session
    assert store.find_session(tenant, s0.id).id == s0.id  # type: ignore[union-attr]
    assert store.find_session(tenant, s0.native_id).id == s0.id  # type: ignore[union-attr]
    assert store.find_session(tenant, s0.id[:12]).id == s0.id  # type: ignore[union-attr]
    assert store.find_session(tenant, "f.jsonl-") is None  # a prefix of both: ambiguous
    assert store.find_session(tenant, "no-such-session") is None


def test_event_filters(store: GraphStore, tenant: str) -> None:
    sessions = _write(store, tenant, "/data/e.jsonl", sessions=3, events=30)
    events = [ev for p in sessions for ev in p.events]
    sid = sessions[1].session.id
    assert [e.id for e in store.events(tenant, session_id=sid)] == [
        e.id for e in sessions[1].events
    ]
    assert {e.kind for e in store.events(tenant, kind="tool_call")} == {"tool_call"}
    assert len(list(store.events(tenant, kind="tool_call"))) == sum(
        e.kind == "tool_call" for e in events
    )
    assert len(list(store.events(tenant, tool="Bash"))) == sum(e.tool == "Bash" for e in events)
    errors = list(store.events(tenant, errors_only=True))
    assert errors and all(e.is_error for e in errors)
    assert len(errors) == sum(e.is_error for e in events)


def test_sessions_by_agent_in_start_order(store: GraphStore, tenant: str) -> None:
    sessions = _write(store, tenant, "/data/s.jsonl", sessions=5, events=3, agents=2)
    got = store.sessions(tenant, agent="agent-0")
    assert [s.id for s in got] == [
        p.session.id
        for p in sorted(sessions, key=lambda p: (p.session.started_at, p.session.id))
        if p.session.agent == "agent-0"
    ]


def test_to_networkx_has_the_provenance_edges(store: GraphStore, tenant: str) -> None:
    sessions = _write(store, tenant, "/data/n.jsonl", sessions=2, events=9)
    graph = store.to_networkx(tenant)
    keys = Counter(k for _, _, k in graph.edges(keys=True))
    assert keys["RUN_BY"] == 2
    assert keys["IN_SESSION"] == 18
    assert keys["NEXT"] == 16
    assert keys["ANSWERS"] == sum(e.answers_id is not None for p in sessions for e in p.events)
    labels = Counter(d["label"] for _, d in graph.nodes(data=True))
    assert labels == {"Event": 18, "Session": 2, "Agent": 2}
    small = store.to_networkx(tenant, session_ids=[sessions[0].session.id], max_events=4)
    assert Counter(d["label"] for _, d in small.nodes(data=True))["Event"] == 4


def test_bad_input_mid_file_keeps_what_was_stored(store: GraphStore, tenant: str) -> None:
    _write(store, tenant, "/data/good.jsonl", sessions=2, events=10)
    before = store.stats(tenant)
    state, sessions = synthetic_file(tenant, "/data/bad.jsonl", sessions=3, events=10)

    def broken() -> Iterator[ParsedSession]:
        yield sessions[0]
        raise InputError("not valid JSON", "/data/bad.jsonl", 17)

    with pytest.raises(InputError, match=r"/data/bad.jsonl:17"):
        store.write_file(tenant, state, broken())
    assert store.source_state(tenant, "/data/bad.jsonl") is None
    assert store.stats(tenant) == before
    # the next run writes the whole file
    store.write_file(tenant, state, sessions)
    assert store.stats(tenant).events == before.events + 30


def test_erase_clears_content_and_keeps_the_skeleton(store: GraphStore, tenant: str) -> None:
    from reverie.mine import mine
    from reverie.testing.planted import write_planted

    write_planted(store, tenant, sessions=8, steps=20, seed=5)
    mine(store, tenant, min_sessions=2, min_agents=1)
    sessions = store.sessions(tenant)
    gone, kept = sessions[0], sessions[1]
    before = store.stats(tenant)
    kept_events = list(store.events(tenant, session_id=kept.id))

    counts = store.erase(tenant, [gone.id], {"erasure": "e1"})
    assert counts["sessions"] == 1
    assert counts["events"] == len(list(store.events(tenant, session_id=gone.id))) > 0
    assert counts["outcomes"] == 1
    erased = list(store.events(tenant, session_id=gone.id))
    assert all(e.text is None and e.tool_input is None and e.flags == ["erased"] for e in erased)
    assert all(e.attrs == {"erased": {"erasure": "e1"}} and not e.is_error for e in erased)
    assert store.find_session(tenant, gone.id).task is None  # type: ignore[union-attr]
    assert gone.id not in store.outcomes(tenant)
    assert list(store.events(tenant, session_id=kept.id)) == kept_events
    after = store.stats(tenant)
    assert (after.events, after.sessions) == (before.events, before.sessions)
    assert after.outcomes == before.outcomes - 1
    assert all(f.session_id != gone.id for f in store.failure_candidates(tenant)
               if f.is_error)
    store.compact()

    write_planted(store, tenant, sessions=8, steps=20, seed=5)  # the file ingested again
    assert list(store.events(tenant, session_id=gone.id)) == erased
    assert gone.id not in store.outcomes(tenant)
    assert store.stats(tenant) == after
