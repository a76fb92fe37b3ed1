"""Declarative mappings: ingest a JSON / JSONL log of unknown shape without writing Python.

Used only when asked for (``--format mapping --mapping FILE.yaml``); it never
claims a file by sniffing. The mapping file names, for each Reverie field,
the dotted path of the value in a record (``"message.role"``; list items by
number, ``"choices.0.text"``)::

    format: jsonl              # or json (then `records` is the path to the list)
    records: data.events       # json only; omit when the document is the list
    session_id: conversation_id
    role: message.role
    content: message.content
    tool_name: tool.name
    tool_input: tool.arguments
    tool_output: tool.result
    call_id: tool.id
    error: tool.failed
    exit_code: tool.exit_code
    timestamp: ts
    model: model
    agent: bot-name            # a fixed agent name, or use agent_field
    roles: {human: user, ai: assistant}

Per record: a non-null ``tool_output`` makes a ``tool_result``, else a
non-null ``tool_name`` a ``tool_call``, else a ``message`` with ``role``
(mapped through ``roles``; ``tool`` / ``function`` roles are results).
Records without a ``session_id`` value belong to one session named after the
file. Source lines: the JSONL line, or the 1-based index in the record list.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reverie.adapters._common import (
    SHAPE_ERRORS,
    EventList,
    as_text,
    dotted,
    iter_json_lines,
    load_json_document,
    parse_json_arg,
    parse_time,
    to_int,
    tool_trust,
)
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.errors import ConfigError, InputError
from reverie.models import Malformed, ParsedSession, Session

__all__ = ["ADAPTER", "MappingAdapter", "MappingSpec", "load_mapping"]

ROLE_TRUST = {"user": "user", "assistant": "agent", "system": "operator"}


class MappingSpec(BaseModel):
    """A mapping file: where each Reverie field lives in the user's records."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["jsonl", "json"] = Field("jsonl", description="Record layout of the log.")
    records: str | None = Field(None, description="json only: dotted path to the record list.")
    session_id: str | None = Field(None, description="Path of the session id.")
    role: str | None = Field(None, description="Path of the speaker role.")
    content: str | None = Field(None, description="Path of the message text.")
    tool_name: str | None = Field(None, description="Path of the tool name.")
    tool_input: str | None = Field(None, description="Path of the tool input.")
    tool_output: str | None = Field(None, description="Path of the tool output.")
    call_id: str | None = Field(None, description="Path of the id pairing call and result.")
    error: str | None = Field(None, description="Path of a boolean error flag.")
    exit_code: str | None = Field(None, description="Path of a process exit code.")
    timestamp: str | None = Field(None, description="Path of the record time.")
    model: str | None = Field(None, description="Path of the model name.")
    agent: str | None = Field(None, description="Fixed agent name for every session.")
    agent_field: str | None = Field(None, description="Path of the agent name.")
    roles: dict[str, Literal["user", "assistant", "system", "tool"]] = Field(
        default_factory=dict, description="Your role values mapped to user/assistant/system/tool."
    )


def load_mapping(path: Path | None) -> MappingSpec:
    """Read and validate a mapping file; errors (:class:`InputError`) name the file and field."""
    if path is None:
        raise ConfigError("--format mapping needs --mapping FILE.yaml (the field paths)")
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the mapping file: {exc.strerror or exc}", path) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"the mapping file is not valid YAML: {exc}", path) from exc
    if not isinstance(data, dict):
        raise InputError("a mapping file is a YAML mapping of 'field: path' lines", path)
    try:
        spec = MappingSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_explain(err) for err in exc.errors())
        raise InputError(f"invalid mapping: {problems}", path) from exc
    if not (spec.content or spec.tool_name or spec.tool_output):
        raise InputError(
            "invalid mapping: map at least one of content, tool_name, tool_output", path
        )
    return spec


def _explain(err: dict[str, Any]) -> str:
    parts = [str(p) for p in err.get("loc", ()) if "[" not in str(p)]
    field = ".".join(parts) or "(top level)"
    if err.get("type") == "extra_forbidden":
        known = ", ".join(MappingSpec.model_fields)
        return f"unknown field '{field}' (known fields: {known})"
    return f"field '{field}': {err.get('msg')}"


def _record(events: EventList, spec: MappingSpec, rec: Any, line: int, tools: dict) -> None:
    def get(path: str | None) -> Any:
        return dotted(rec, path) if path else None

    ts, model = parse_time(get(spec.timestamp)), get(spec.model)
    model = str(model) if model is not None else None
    raw_role = get(spec.role)
    role = spec.roles.get(str(raw_role), raw_role) if raw_role is not None else None
    call_id = get(spec.call_id)
    call_id = str(call_id) if call_id is not None else None
    output, tool = get(spec.tool_output), get(spec.tool_name)
    tool = str(tool) if tool is not None else None
    key = f"L{line}"
    if output is not None or role in ("tool", "function"):
        tool = tool or tools.get(call_id or "")
        code = to_int(get(spec.exit_code))
        error = bool(get(spec.error)) or code not in (None, 0)
        text = as_text(output if output is not None else get(spec.content))
        events.add(
            "tool_result",
            tool_trust(tool),
            line,
            key,
            tool=tool,
            call_id=call_id,
            text=text,
            is_error=error,
            exit_code=code,
            timestamp=ts,
        )
    elif tool is not None:
        call_id = call_id or key
        tools[call_id] = tool
        events.add(
            "tool_call",
            "agent",
            line,
            key,
            tool=tool,
            call_id=call_id,
            tool_input=parse_json_arg(get(spec.tool_input)),
            timestamp=ts,
            model=model,
        )
    elif role in ROLE_TRUST:
        events.add(
            "message",
            ROLE_TRUST[role],
            line,
            key,
            role=role,
            text=as_text(get(spec.content)),
            timestamp=ts,
            model=model,
        )
    else:
        raise ValueError(f"role {raw_role!r} is not mapped (add it under 'roles')")


class MappingAdapter:
    """Reads any JSON / JSONL log through a user's YAML mapping."""

    name = "mapping"
    description = "any JSON/JSONL log, through a YAML field mapping (--mapping FILE.yaml)"

    def sniff(self, path: Path, head: bytes) -> float:
        return 0.0

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        spec = load_mapping(options.mapping_file)
        file = str(path)
        sessions: dict[str, tuple[EventList, dict]] = {}
        for line, rec, error in self._records(path, spec):
            if error is None:
                sid = dotted(rec, spec.session_id) if spec.session_id else None
                sid = str(sid) if sid is not None else path.stem
                events, meta = sessions.setdefault(sid, (EventList(file), {"tools": {}}))
                try:
                    if not isinstance(rec, dict):
                        raise TypeError("record is not an object")
                    _record(events, spec, rec, line, meta["tools"])
                    agent = dotted(rec, spec.agent_field) if spec.agent_field else None
                    meta.setdefault("agent", str(agent) if agent is not None else None)
                except SHAPE_ERRORS as exc:
                    error = str(exc)
            if error is not None:
                yield Malformed(file=file, line=line, reason=error)
        for sid, (events, meta) in sessions.items():
            if not events.events:
                continue
            times = [e.timestamp for e in events.events if e.timestamp]
            session = Session(
                native_id=sid,
                format=self.name,
                source_file=file,
                agent=options.agent or spec.agent or meta.get("agent") or "unknown",
                model=next((e.model for e in events.events if e.model), None),
                task=next((e.text for e in events.events if e.role == "user"), None),
                started_at=min(times) if times else None,
                ended_at=max(times) if times else None,
            )
            yield ParsedSession(session=session, events=events.events)

    def _records(self, path: Path, spec: MappingSpec) -> Iterator[tuple[int, Any, str | None]]:
        if spec.format == "jsonl":
            yield from iter_json_lines(path)
            return
        doc = load_json_document(path)
        items = dotted(doc, spec.records) if spec.records else doc
        if not isinstance(items, list):
            where = f"'{spec.records}'" if spec.records else "the document"
            raise InputError(f"mapping says records are at {where}, but no list is there", path)
        for index, item in enumerate(items, start=1):
            yield index, item, None


ADAPTER = MappingAdapter()
