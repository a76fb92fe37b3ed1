"""From parsed sessions to the provenance graph: ids and the edges ingest can know.

Ids are content hashes (:mod:`reverie.ids`) that chain to the parent. An
event's id is its session's id prefix followed by a hash of the event's own
identity (its *own id*), so re-ingesting a file yields the same ids (a no-op)
and a file that grew yields the old ids plus new ones.

Session identity
----------------
Two different runs never share a session id. How a session is keyed depends
on what its format's native id means:

- **Run-unique native ids** (a Claude Code ``sessionId`` is a UUID per run;
  ``ParsedSession.native_id_unique``): the key is ``(tenant, native id)`` and
  an event's own id hashes its native key (a line's uuid).
- **Everything else** (task or instance ids, which every model and every rerun
  of a benchmark reuses: SWE-agent, mini-swe-agent, OpenHands, tau-bench, OTel
  traces, the native format, mappings): the key also holds the agent and a
  fingerprint of the run's own content, and an event's own id hashes its key
  *and its content* (kind, role, tool, call id, text, input, error, exit code,
  time). Two runs of one task by different agents, or by one agent with a
  different course, get different ids.

:func:`link_session` assigns these ids. The store then settles each session
with :func:`resolve_run` inside its write transaction, against the runs it
already holds with the same native id:

- a stored run of the same file whose events are a prefix of the new parse
  (the file grew) or extend it *is* this run: its id is kept. Runs keyed by
  a run-unique native id continue across files the same way (a resumed
  Claude Code session), and so do formats whose files are snapshots of one
  growing run (``ParsedSession.snapshot``: LiteLLM completion logs, one file
  per model call). A stored run of another file with exactly the same events
  is this run too: the same bytes under two paths are one session.
- otherwise the session keeps the id it was given. For a run-unique native
  id that id may be taken by a different run (two files claim one session id
  with different content): the new one gets an id of its own and the ingest
  reports a *collision*. Nothing is merged.

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

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import orjson

from reverie.ids import PREFIX, make_id
from reverie.models import Event, ParsedSession

__all__ = [
    "Collision",
    "FileRuns",
    "StoredRun",
    "consistent",
    "event_id",
    "link_session",
    "own_id",
    "own_part",
    "relink",
    "resolve_run",
    "session_id",
    "source_id",
]

_SESSION_PART = len(PREFIX) + 16  # the part of an event id that names its session


def session_id(tenant: str, native_id: str) -> str:
    """The id of a session whose native id is unique per run (a Claude Code session)."""
    return make_id("session", tenant, native_id)


def run_session_id(tenant: str, native_id: str, agent: str, fingerprint: str) -> str:
    """The id of a session keyed by native id, agent and a fingerprint of its content."""
    return make_id("session", tenant, native_id, agent, fingerprint)


def _hash8(parts: object) -> str:
    data = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def own_id(ev: Event, with_content: bool) -> str:
    """The session-independent half of an event id: its key, and its content if asked."""
    if not with_content:
        return _hash8(["event", ev.key])
    return _hash8(
        [
            "event",
            ev.key,
            ev.kind,
            ev.role,
            ev.tool,
            ev.call_id,
            ev.text,
            ev.tool_input,
            ev.is_error,
            ev.exit_code,
            ev.timestamp.isoformat() if ev.timestamp else None,
        ]
    )


def event_id(session: str, key: str) -> str:
    """The id of the event with native ``key`` in a session keyed by a run-unique native id."""
    return session[:_SESSION_PART] + _hash8(["event", key])


def source_id(tenant: str, path: str) -> str:
    return make_id("source", tenant, path)


def own_part(event: str) -> str:
    """The session-independent half of an event id (what :func:`own_id` made)."""
    return event[_SESSION_PART:]


def own_ids(events: Sequence[Event]) -> list[str]:
    """The own ids of linked events, in order."""
    return [own_part(ev.id) for ev in events]


def _fingerprint(owns: Sequence[str]) -> str:
    return hashlib.blake2b("".join(owns).encode(), digest_size=16).hexdigest()


def link_session(tenant: str, parsed: ParsedSession) -> ParsedSession:
    """Assign ids, order and edges in place; duplicate keys keep their first event."""
    s = parsed.session
    s.tenant = tenant
    seen: set[str] = set()
    kept: list[Event] = []
    owns: list[str] = []
    content = not parsed.native_id_unique
    for ev in parsed.events:
        if ev.key in seen:
            continue
        seen.add(ev.key)
        kept.append(ev)
        owns.append(own_id(ev, content))
    parsed.events = kept
    if content:
        sid = run_session_id(tenant, s.native_id, s.agent, _fingerprint(owns))
    else:
        sid = session_id(tenant, s.native_id)
    if s.parent_native_id and parsed.native_id_unique:
        s.parent_id = session_id(tenant, s.parent_native_id)
        if s.parent_call_id:
            s.parent_call_event_id = event_id(s.parent_id, s.parent_call_id)
    _assign(parsed, sid, owns)
    stamps = [e.timestamp for e in kept if e.timestamp is not None]
    if stamps:
        s.started_at = s.started_at or min(stamps)
        s.ended_at = s.ended_at or max(stamps)
    return parsed


def _assign(parsed: ParsedSession, sid: str, owns: Sequence[str]) -> None:
    parsed.session.id = sid
    head = sid[:_SESSION_PART]
    calls: dict[str, str] = {}
    prev: str | None = None
    for seq, (ev, own) in enumerate(zip(parsed.events, owns, strict=True)):
        eid = head + own
        answers = None
        if ev.kind == "tool_call" and ev.call_id:
            calls.setdefault(ev.call_id, eid)
        elif ev.kind == "tool_result" and ev.call_id:
            answers = calls.get(ev.call_id)
        # One dict update instead of five validated attribute writes: ingest's hot path.
        ev.__dict__.update(id=eid, session_id=sid, seq=seq, prev_id=prev, answers_id=answers)
        prev = eid


def relink(parsed: ParsedSession, new_id: str) -> None:
    """Give a linked session another id; its events' ids and edges follow."""
    if new_id != parsed.session.id:
        _assign(parsed, new_id, own_ids(parsed.events))


@dataclass(frozen=True)
class StoredRun:
    """A session the store already holds under the same native id."""

    id: str
    agent: str
    source: str
    own: tuple[str, ...]


@dataclass(frozen=True)
class Collision:
    """A session whose run-unique id was taken by a different run (reported, never merged)."""

    native_id: str
    file: str
    existing_id: str
    existing_file: str
    new_id: str


def consistent(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether one run's events are a prefix of the other's (the same run, or it grew).

    >>> consistent(["x", "y"], ["x", "y", "z"]), consistent(["x", "z"], ["x", "y"])
    (True, False)
    """
    n = min(len(a), len(b))
    return list(a[:n]) == list(b[:n])


def resolve_run(
    parsed: ParsedSession, stored: Sequence[StoredRun], source: str | None = None
) -> tuple[str, Collision | None]:
    """The id ``parsed`` is written under, given the stored runs with its native id.

    ``source`` is the file being written (its absolute path; default: the
    session's ``source_file``); ``stored`` may include runs written earlier in
    the same file. A run keyed by content continues a stored run of the same
    file whose events are a prefix of its own or extend them (the file grew),
    and is a stored run of another file only with exactly the same events (a
    copy), unless the format's files are snapshots of one growing run
    (``ParsedSession.snapshot``). Returns the id and, for a run-unique id taken
    by a different run, the collision to report.
    """
    s = parsed.session
    here = source or s.source_file
    owns = own_ids(parsed.events)
    runs = sorted(stored, key=lambda r: (r.id != s.id, r.id))
    for run in runs:
        if not parsed.native_id_unique and run.agent != s.agent:
            continue
        grows = parsed.native_id_unique or parsed.snapshot or run.source == here
        if consistent(run.own, owns) if grows else tuple(run.own) == tuple(owns):
            return run.id, None
    taken = next((r for r in stored if r.id == s.id), None)
    if taken is None:
        return s.id, None
    new_id = make_id("session", s.id, "run", _fingerprint(owns))
    return new_id, Collision(
        native_id=s.native_id,
        file=here,
        existing_id=taken.id,
        existing_file=taken.source,
        new_id=new_id,
    )


class FileRuns:
    """Settles the sessions of one file against the runs a store holds, in its transaction.

    ``source`` is the absolute path of the file being written.
    ``lookup(native_id, first)`` returns the stored runs with that native id;
    a store may leave out all but the first own id of runs that do not start
    with ``first`` (the new run's first own id), which cannot be the same. Runs
    settled earlier in the same file count as stored. A child session keyed by
    content (a native-format subagent) finds its parent among the file's
    sessions, wherever the parent appears in the file, or else among the
    stored runs when exactly one has the parent's native id.
    """

    def __init__(self, lookup: Callable[[str, str | None], list[StoredRun]], source: str):
        self._lookup = lookup
        self._source = source
        self._local: dict[str, list[StoredRun]] = {}
        self._calls: dict[str, dict[str, str]] = {}  # session id -> call id -> event id
        self.collisions: list[Collision] = []

    def settle(self, sessions: Iterable[ParsedSession]) -> Iterator[ParsedSession]:
        """Yield each session under its settled id; children wait for their parent."""
        waiting: list[ParsedSession] = []
        for parsed in sessions:
            self._settle(parsed)
            if self._needs_parent(parsed) and parsed.session.parent_native_id not in self._local:
                waiting.append(parsed)
                continue
            self._link_parent(parsed)
            yield parsed
        for parsed in waiting:
            self._link_parent(parsed)
            yield parsed

    def _runs(self, native_id: str, first: str | None) -> list[StoredRun]:
        local = self._local.get(native_id, [])
        ids = {r.id for r in local}
        return local + [r for r in self._lookup(native_id, first) if r.id not in ids]

    def _settle(self, parsed: ParsedSession) -> None:
        s = parsed.session
        first = own_ids(parsed.events[:1])
        stored = self._runs(s.native_id, first[0] if first else None)
        chosen, collision = resolve_run(parsed, stored, self._source)
        relink(parsed, chosen)
        if collision is not None:
            self.collisions.append(collision)
        run = StoredRun(chosen, s.agent, self._source, tuple(own_ids(parsed.events)))
        self._local.setdefault(s.native_id, []).insert(0, run)
        self._calls[chosen] = {
            ev.call_id: ev.id for ev in parsed.events if ev.kind == "tool_call" and ev.call_id
        }

    @staticmethod
    def _needs_parent(parsed: ParsedSession) -> bool:
        return bool(parsed.session.parent_native_id) and not parsed.native_id_unique

    def _link_parent(self, parsed: ParsedSession) -> None:
        if not self._needs_parent(parsed):
            return
        s = parsed.session
        parent_native = s.parent_native_id or ""
        local = self._local.get(parent_native)
        if local:
            s.parent_id = local[0].id
            if s.parent_call_id:
                s.parent_call_event_id = self._calls.get(s.parent_id, {}).get(s.parent_call_id)
            return
        stored = self._lookup(parent_native, None)
        if len(stored) == 1:
            s.parent_id = stored[0].id
