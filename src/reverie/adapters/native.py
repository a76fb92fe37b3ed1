"""Reverie's native transcript format: one JSON object per line, easy to write from anything.

Every line carries ``"reverie": 1``, the ``session`` it belongs to and its
``kind``; sessions may interleave. An ``outcome`` line closes its session (it
is emitted at once, so a generator that ends each session with its outcome
keeps memory flat); later lines for a closed session are set aside as
malformed. Sessions without an outcome line are emitted at the end of the file.

::

    {"reverie": 1, "session": "s1", "kind": "session", "agent": "my-bot", "model": "m-1"}
    {"reverie": 1, "session": "s1", "kind": "message", "role": "user", "text": "fix the test"}
    {"reverie": 1, "session": "s1", "kind": "tool_call", "tool": "bash",
     "input": {"command": "pytest"}, "call_id": "c1"}
    {"reverie": 1, "session": "s1", "kind": "tool_result", "call_id": "c1",
     "text": "1 failed", "is_error": true, "exit_code": 1}
    {"reverie": 1, "session": "s1", "kind": "outcome", "success": false}

(each record is one line in the file). The JSON Schema is
``graph/native.schema.json``, generated from :class:`NativeRecord`; the
fields are described in ``docs/formats.md``. Source lines are 1-based lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reverie.adapters._common import EventList, has_key, head_text, iter_json_lines, parse_time
from reverie.adapters._common import tool_trust as _tool_trust
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.errors import InputError
from reverie.models import (
    Malformed,
    Outcome,
    ParsedSession,
    Role,
    Session,
    SourceRef,
    TrustClass,
    Usage,
)

__all__ = ["ADAPTER", "NativeAdapter", "NativeRecord", "dumps_record", "schema"]

Kind = Literal["session", "message", "tool_call", "tool_result", "outcome"]
ROLE_TRUST: dict[str, TrustClass] = {"user": "user", "assistant": "agent", "system": "operator"}


class NativeRecord(BaseModel):
    """One line of a native ``reverie`` transcript."""

    model_config = ConfigDict(extra="forbid", title="Reverie native transcript record")

    reverie: Literal[1] = Field(description="Format version; always 1.")
    session: str = Field(min_length=1, description="Session id, unique within the file.")
    kind: Kind = Field(description="What this line records.")
    id: str | None = Field(default=None, description="Event id within the session (else: line).")
    ts: str | float | None = Field(default=None, description="ISO 8601 time or epoch seconds/ms.")
    agent: str | None = Field(default=None, description="Agent name (first one seen wins).")
    model: str | None = Field(default=None, description="Model that produced this line.")
    task: str | None = Field(default=None, description="Task statement (kind=session).")
    parent_session: str | None = Field(default=None, description="Parent session (subagents).")
    parent_call_id: str | None = Field(default=None, description="Parent's tool call id.")
    role: Role | None = Field(default=None, description="kind=message: user|assistant|system.")
    text: str | None = Field(default=None, description="Message text or tool output.")
    tool: str | None = Field(default=None, description="Tool name (required on tool_call).")
    input: Any = Field(default=None, description="Tool input (kind=tool_call), any JSON.")
    call_id: str | None = Field(default=None, description="Pairs a tool_result with its tool_call.")
    is_error: bool = Field(default=False, description="The tool call failed.")
    exit_code: int | None = Field(default=None, description="Process exit code, when known.")
    trust: TrustClass | None = Field(default=None, description="Override the default trust class.")
    usage: Usage | None = Field(default=None, description="Tokens and cost of this model call.")
    success: bool | None = Field(default=None, description="kind=outcome: did the session succeed.")
    reward: float | None = Field(default=None, description="kind=outcome: benchmark reward.")
    detail: str | None = Field(default=None, description="kind=outcome: free-text detail.")
    attrs: dict[str, Any] = Field(default_factory=dict, description="Anything else, kept as is.")

    @model_validator(mode="after")
    def _kind_fields(self) -> NativeRecord:
        if self.kind == "message" and self.role is None:
            raise ValueError("a message needs a 'role' (user, assistant or system)")
        if self.kind == "tool_call" and not self.tool:
            raise ValueError("a tool_call needs a 'tool' name")
        return self


def schema() -> dict[str, Any]:
    """The JSON Schema of one native record (what ``graph/native.schema.json`` holds)."""
    doc = NativeRecord.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["$id"] = "https://reverie.dev/schemas/native.schema.json"
    doc["allOf"] = [
        {"if": {"properties": {"kind": {"const": "message"}}}, "then": {"required": ["role"]}},
        {"if": {"properties": {"kind": {"const": "tool_call"}}}, "then": {"required": ["tool"]}},
    ]
    return doc


def dumps_record(**fields: Any) -> bytes:
    """One validated native line (with its newline), for generators and agent frameworks.

    >>> dumps_record(session="s1", kind="message", role="user", text="hi")
    b'{"reverie":1,"session":"s1","kind":"message","role":"user","text":"hi"}\\n'
    """
    record = NativeRecord(reverie=1, **fields)
    data = record.model_dump(exclude_defaults=True, mode="json")
    data = {"reverie": 1, **data}
    return orjson.dumps(data) + b"\n"


class _Open:
    """A session being read."""

    def __init__(self, file: str, native_id: str):
        self.native_id = native_id
        self.events = EventList(file)
        self.meta: dict[str, Any] = {}
        self.tools: dict[str, str] = {}


def _add(state: _Open, rec: NativeRecord, line: int) -> Outcome | None:
    meta = state.meta
    for key in ("agent", "model", "task", "parent_session", "parent_call_id"):
        if getattr(rec, key) and not meta.get(key):
            meta[key] = getattr(rec, key)
    ts = parse_time(rec.ts)
    if ts:
        meta["first"] = min(meta.get("first", ts), ts)
        meta["last"] = max(meta.get("last", ts), ts)
    key = rec.id or f"L{line}"
    if rec.kind == "session":
        meta.setdefault("attrs", {}).update(rec.attrs)
    elif rec.kind == "message":
        assert rec.role is not None  # NativeRecord requires a message's role
        state.events.add(
            "message",
            rec.trust or ROLE_TRUST[rec.role],
            line,
            key,
            role=rec.role,
            text=rec.text,
            usage=rec.usage,
            is_error=rec.is_error,
            timestamp=ts,
            model=rec.model,
            attrs=rec.attrs,
        )
    elif rec.kind == "tool_call":
        call_id = rec.call_id or key
        assert rec.tool is not None  # NativeRecord requires a tool call's tool
        state.tools[call_id] = rec.tool
        state.events.add(
            "tool_call",
            rec.trust or "agent",
            line,
            key,
            tool=rec.tool,
            tool_input=rec.input,
            call_id=call_id,
            usage=rec.usage,
            timestamp=ts,
            model=rec.model,
            attrs=rec.attrs,
        )
    elif rec.kind == "tool_result":
        tool = rec.tool or state.tools.get(rec.call_id or "")
        state.events.add(
            "tool_result",
            rec.trust or _tool_trust(tool),
            line,
            key,
            tool=tool,
            call_id=rec.call_id,
            text=rec.text,
            is_error=rec.is_error,
            exit_code=rec.exit_code,
            timestamp=ts,
            model=rec.model,
            attrs=rec.attrs,
        )
    else:
        return Outcome(
            success=rec.success,
            reward=rec.reward,
            detail=rec.detail,
            source=SourceRef(file=state.events.file, line=line),
        )
    return None


class NativeAdapter:
    """Reads Reverie's native JSONL format."""

    name = "reverie"
    description = 'Reverie native JSONL ({"reverie": 1, "session", "kind", ...} per line)'

    def sniff(self, path: Path, head: bytes) -> float:
        text = head_text(head).lstrip()
        if text.startswith("{") and has_key(text.split("\n", 1)[0], "reverie"):
            return 1.0
        return 0.0

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        file = str(path)
        open_: dict[str, _Open] = {}
        closed: set[str] = set()
        good = bad = 0
        for line, value, error in iter_json_lines(path):
            if error is None:
                try:
                    rec = NativeRecord.model_validate(value)
                except ValidationError as exc:
                    error = _reason(exc)
            if error is None and rec.session in closed:
                error = f"session {rec.session!r} was already closed by its outcome line"
            if error is not None:
                bad += 1
                yield Malformed(file=file, line=line, reason=error)
                continue
            good += 1
            state = open_.setdefault(rec.session, _Open(file, rec.session))
            outcome = _add(state, rec, line)
            if outcome is not None:
                closed.add(rec.session)
                yield self._finish(open_.pop(rec.session), file, options, outcome)
        if not good and bad:
            raise InputError("no valid native reverie records (see the malformed lines)", file)
        for state in open_.values():
            yield self._finish(state, file, options, None)

    def _finish(self, state: _Open, file: str, options, outcome) -> ParsedSession:
        meta = state.meta
        session = Session(
            native_id=state.native_id,
            agent=options.agent or meta.get("agent") or "unknown",
            format=self.name,
            source_file=file,
            task=meta.get("task"),
            model=meta.get("model"),
            started_at=meta.get("first"),
            ended_at=meta.get("last"),
            parent_native_id=meta.get("parent_session"),
            parent_call_id=meta.get("parent_call_id"),
            attrs=meta.get("attrs", {}),
        )
        return ParsedSession(session=session, events=state.events.events, outcome=outcome)


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "record"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first.get('msg')}{more}"


ADAPTER = NativeAdapter()
