"""Reverie records to Bolt node properties and back.

Bolt properties are primitives or lists of primitives, so nested values
(``tool_input``, ``attrs``) travel as JSON text, times as epoch milliseconds
and ids as strings. A ``None`` field is left out (``SET n += props`` removes
it). The mapping mirrors the embedded store's columns (``graph/sqlite.sql``)
so both stores read back the same records.

>>> from reverie.models import Event, SourceRef
>>> ev = Event(kind="tool_call", trust="agent", source=SourceRef(file="f", line=3), key="k",
...            tool="Bash", tool_input={"cmd": "ls"}, id="b2:e", session_id="b2:s")
>>> props = event_props("acme", "b2:src", ev)
>>> props["tool_input"], props["line"], "role" in props
('{"cmd":"ls"}', 3, False)
>>> event_from(props, "f") == ev
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from reverie.epoch import from_ms, to_ms
from reverie.models import Event, Outcome, Session, SourceRef, Usage
from reverie.store.base import dumps_payload

__all__ = [
    "event_from",
    "event_props",
    "outcome_from",
    "outcome_props",
    "session_from",
    "session_props",
]


def _json(value: Any) -> str | None:
    return None if value is None else dumps_payload(value)


def _unjson(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)


def _compact(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if v is not None}


def event_props(tenant: str, source_id: str, ev: Event) -> dict[str, Any]:
    """The properties of an ``Event`` node."""
    u = ev.usage
    return _compact(
        {
            "id": ev.id, "tenant": tenant, "session_id": ev.session_id, "seq": ev.seq,
            "key": ev.key, "kind": ev.kind, "role": ev.role, "trust": ev.trust, "text": ev.text,
            "tool": ev.tool, "tool_input": _json(ev.tool_input), "call_id": ev.call_id,
            "is_error": ev.is_error, "exit_code": ev.exit_code, "ts": to_ms(ev.timestamp),
            "model": ev.model,
            "input_tokens": u.input_tokens if u else None,
            "output_tokens": u.output_tokens if u else None,
            "cache_read_tokens": u.cache_read_tokens if u else None,
            "cache_write_tokens": u.cache_write_tokens if u else None,
            "cost_usd": u.cost_usd if u else None,
            "flags": list(ev.flags) if ev.flags else None,
            "attrs": _json(ev.attrs) if ev.attrs else None,
            "prev_id": ev.prev_id, "answers_id": ev.answers_id,
            "source_id": source_id, "line": ev.source.line,
        }
    )


def event_from(p: Mapping[str, Any], path: str) -> Event:
    """An ``Event`` from its node's properties and its source file's path."""
    usage = None
    if p.get("input_tokens") is not None or p.get("output_tokens") is not None:
        usage = Usage(
            input_tokens=p.get("input_tokens") or 0,
            output_tokens=p.get("output_tokens") or 0,
            cache_read_tokens=p.get("cache_read_tokens") or 0,
            cache_write_tokens=p.get("cache_write_tokens") or 0,
            cost_usd=p.get("cost_usd"),
        )
    return Event(
        id=p["id"], session_id=p["session_id"], seq=p["seq"], key=p["key"], kind=p["kind"],
        role=p.get("role"), trust=p["trust"], text=p.get("text"), tool=p.get("tool"),
        tool_input=_unjson(p.get("tool_input")), call_id=p.get("call_id"),
        is_error=bool(p.get("is_error")), exit_code=p.get("exit_code"),
        timestamp=from_ms(p.get("ts")), model=p.get("model"), usage=usage,
        flags=list(p.get("flags") or []), attrs=_unjson(p.get("attrs")) or {},
        prev_id=p.get("prev_id"), answers_id=p.get("answers_id"),
        source=SourceRef(file=path, line=p.get("line") or 0),
    )


def session_props(tenant: str, source_id: str, agent_id: str, s: Session) -> dict[str, Any]:
    """The properties of a ``Session`` node (``task`` is set apart: first value wins)."""
    return _compact(
        {
            "id": s.id, "tenant": tenant, "native_id": s.native_id, "agent_id": agent_id,
            "agent": s.agent, "format": s.format, "source_id": source_id, "model": s.model,
            "started_at": to_ms(s.started_at), "ended_at": to_ms(s.ended_at),
            "parent_id": s.parent_id, "parent_call_id": s.parent_call_event_id,
            "attrs": _json(s.attrs),
        }
    )


def session_from(p: Mapping[str, Any], path: str | None) -> Session:
    return Session(
        id=p["id"], native_id=p["native_id"], agent=p["agent"], format=p["format"],
        tenant=p["tenant"], task=p.get("task"), model=p.get("model"),
        started_at=from_ms(p.get("started_at")), ended_at=from_ms(p.get("ended_at")),
        parent_id=p.get("parent_id"), parent_call_event_id=p.get("parent_call_id"),
        attrs=_unjson(p.get("attrs")) or {}, source_file=path or "",
    )


def outcome_props(tenant: str, source_id: str, session_id: str, o: Outcome) -> dict[str, Any]:
    return _compact(
        {
            "id": "o" + session_id, "tenant": tenant, "session_id": session_id,
            "success": o.success, "reward": o.reward, "detail": o.detail,
            "source_id": source_id, "line": o.source.line if o.source else None,
        }
    )


def outcome_from(p: Mapping[str, Any], path: str | None) -> Outcome:
    return Outcome(
        success=p.get("success"), reward=p.get("reward"), detail=p.get("detail"),
        source=SourceRef(file=path, line=p.get("line") or 0) if path else None,
    )
