"""From parsed sessions to the provenance graph: ids and the edges ingest can know.

Ids are content hashes (:mod:`reverie.ids`) that chain to the parent: a
session's id hashes its tenant and native id; an event's id is its session's id
prefix followed by a hash of its native key. So re-ingesting a file yields the same ids
(a no-op), and a file that grew yields the old ids plus new ones.

Edges set here (the store persists them):

- ``(Event)-[:IN_SESSION]->(Session)``: ``Event.session_id``
- ``(Event)-[:NEXT]->(Event)``: ``Event.prev_id`` is the event before
- ``(Event)-[:ANSWERS]->(Event)``: ``Event.answers_id`` of a tool result is its call
- ``(Event)-[:FROM_SOURCE]->(Source)``: ``Event.source``
- ``(Session)-[:RUN_BY]->(Agent)``: ``Session.agent``
- a subagent session's ``parent_id`` and ``parent_call_event_id``

>>> from reverie.models import Event, ParsedSession, Session, SourceRef
>>> src = SourceRef(file="s.jsonl", line=1)
>>> ps = ParsedSession(
...     session=Session(native_id="s1", agent="a", format="reverie", source_file="s.jsonl"),
...     events=[
...         Event(kind="tool_call", trust="agent", source=src, key="c1", tool="Bash", call_id="1"),
...         Event(kind="tool_result", trust="tool", source=src, key="r1", call_id="1"),
...     ],
... )
>>> linked = link_session("acme", ps)
>>> linked.events[1].answers_id == linked.events[0].id == linked.events[1].prev_id
True
"""

from __future__ import annotations

from reverie.ids import child_id, make_id
from reverie.models import ParsedSession

__all__ = ["event_id", "link_session", "session_id", "source_id"]


def session_id(tenant: str, native_id: str) -> str:
    return make_id("session", tenant, native_id)


def event_id(session: str, key: str) -> str:
    return child_id(session, "event", key)


def source_id(tenant: str, path: str) -> str:
    return make_id("source", tenant, path)


def link_session(tenant: str, parsed: ParsedSession) -> ParsedSession:
    """Assign ids, order and edges in place; duplicate keys keep their first event."""
    s = parsed.session
    s.tenant = tenant
    s.id = session_id(tenant, s.native_id)
    if s.parent_native_id:
        s.parent_id = session_id(tenant, s.parent_native_id)
        if s.parent_call_id:
            s.parent_call_event_id = event_id(s.parent_id, s.parent_call_id)
    seen: set[str] = set()
    calls: dict[str, str] = {}
    kept = []
    prev: str | None = None
    for ev in parsed.events:
        if ev.key in seen:
            continue
        seen.add(ev.key)
        eid = event_id(s.id, ev.key)
        answers = None
        if ev.kind == "tool_call" and ev.call_id:
            calls.setdefault(ev.call_id, eid)
        elif ev.kind == "tool_result" and ev.call_id:
            answers = calls.get(ev.call_id)
        # One dict update instead of five validated attribute writes: ingest's hot path.
        ev.__dict__.update(
            id=eid, session_id=s.id, seq=len(kept), prev_id=prev, answers_id=answers
        )
        prev = eid
        kept.append(ev)
    parsed.events = kept
    if kept:
        stamps = [e.timestamp for e in kept if e.timestamp is not None]
        if stamps:
            s.started_at = s.started_at or min(stamps)
            s.ended_at = s.ended_at or max(stamps)
    return parsed
