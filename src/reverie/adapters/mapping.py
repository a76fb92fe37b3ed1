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

Two layouts. **One message per record** (no ``messages``): per record, a
non-null ``tool_output`` makes a ``tool_result``, else a non-null ``tool_name``
a ``tool_call``, else a ``message`` with ``role`` (mapped through ``roles``;
``tool`` / ``function`` roles are results). Records without a ``session_id``
value belong to one session named after the file. **One session per record**
(``messages: trajectory``): each JSONL line (or ``records`` item) is a session,
``session_id``, ``agent_field``, ``model``, ``task``, ``success`` and
``reward`` are read from the record and the message fields from each message.

Text actions (``actions``, see :mod:`reverie.adapters.mapping_text`) turn an
assistant message's text into a tool call; the next message with one of
``result_roles`` (and ``result_prefix``, if set) is its result, an error when
``error_pattern`` matches. Source lines: the JSONL line, or the 1-based index
in the record list.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from reverie.adapters._common import (
    SHAPE_ERRORS,
    EventList,
    as_text,
    dotted,
    iter_json_lines,
    load_json_document,
    parse_json_arg,
    parse_time,
    resolve_agent,
    to_float,
    to_int,
    tool_trust,
)
from reverie.adapters._reading import MB, read_document
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.adapters.mapping_text import (
    DEFAULT_ERROR_PATTERN,
    Regex,
    TextAction,
    action_problems,
    find_action,
    result_status,
)
from reverie.errors import ConfigError, InputError
from reverie.models import Malformed, Outcome, ParsedSession, Role, Session, SourceRef, TrustClass
from reverie.names import check_agent

__all__ = ["ADAPTER", "MappingAdapter", "MappingSpec", "TextAction", "load_mapping"]

ROLE_TRUST: dict[str, TrustClass] = {"user": "user", "assistant": "agent", "system": "operator"}
_SESSION_FIELDS = ("agent_field", "model", "task", "success", "reward")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}
MAPPING_LIMIT = MB  # a mapping file is a few dozen lines


class MappingSpec(BaseModel):
    """A mapping file: where each Reverie field lives in the user's records."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["jsonl", "json"] = Field("jsonl", description="Record layout of the log.")
    records: str | None = Field(None, description="json only: dotted path to the record list.")
    messages: str | None = Field(
        None, description="Path of a record's list of messages: one session per record."
    )
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
    agent: str | None = Field(None, description="Fixed agent name (when agent_field has none).")
    agent_field: str | None = Field(None, description="Path of the agent name.")
    task: str | None = Field(None, description="Path of the task (default: first user message).")
    success: str | None = Field(None, description="Path of the run's success flag.")
    reward: str | None = Field(None, description="Path of the run's reward (>= 1 is success).")
    roles: dict[str, Literal["user", "assistant", "system", "tool"]] = Field(
        default_factory=dict, description="Your role values mapped to user/assistant/system/tool."
    )
    actions: list[TextAction] = Field(
        default_factory=list, description="Tool calls written as text in assistant messages."
    )
    result_roles: list[str] = Field(
        default_factory=lambda: ["user", "tool"],
        description="Roles (yours or mapped) of the message that answers a text action.",
    )
    result_prefix: str | None = Field(
        None, description="Text a result message starts with (removed from the result)."
    )
    error_pattern: Regex = Field(
        DEFAULT_ERROR_PATTERN, description="A text action's result matching this is an error."
    )
    exit_code_pattern: Regex | None = Field(
        None, description="Its first group is a text action's exit code (non-zero: error)."
    )


def load_mapping(path: Path | None) -> MappingSpec:
    """Read and validate a mapping file; errors (:class:`InputError`) name the file and field."""
    if path is None:
        raise ConfigError("--format mapping needs --mapping FILE.yaml (the field paths)")
    try:
        data = yaml.safe_load(
            read_document(Path(path), MAPPING_LIMIT, "a mapping file").decode("utf-8")
        )
    except InputError as exc:
        raise InputError(f"cannot read the mapping file: {exc.reason}", path) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"the mapping file is not UTF-8: {exc}", path) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"the mapping file is not valid YAML: {exc}", path) from exc
    if not isinstance(data, dict):
        raise InputError("a mapping file is a YAML mapping of 'field: path' lines", path)
    try:
        spec = MappingSpec.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(_explain(err) for err in exc.errors())
        raise InputError(f"invalid mapping: {detail}", path) from exc
    problems = _spec_problems(spec)
    if problems:
        raise InputError(f"invalid mapping: {'; '.join(problems)}", path)
    return spec


def _spec_problems(spec: MappingSpec) -> list[str]:
    """What is wrong with a mapping whose fields each validated on their own."""
    problems = []
    if not (spec.content or spec.tool_name or spec.tool_output):
        problems.append("map at least one of content, tool_name, tool_output")
    if spec.records and spec.format == "jsonl":
        problems.append(
            "field 'records' is read only with format: json; for one session per line "
            "with its messages in a list, name that list with 'messages'"
        )
    if spec.actions and not spec.content:
        problems.append("field 'actions': text actions are read from 'content'; map it")
    if spec.agent is not None:
        try:
            check_agent(spec.agent)
        except ValueError as exc:
            problems.append(f"field 'agent': {exc}")
    if spec.exit_code_pattern is not None and spec.exit_code_pattern.groups < 1:
        problems.append("field 'exit_code_pattern': put the exit code in a group, e.g. 'rc=(\\d+)'")
    return problems + action_problems(spec.actions)


def _explain(err: ErrorDetails) -> str:
    loc = [str(p) for p in err.get("loc", ()) if "[" not in str(p)]
    field = ".".join(loc) or "(top level)"
    if err.get("type") == "extra_forbidden":
        model = TextAction if loc[:1] == ["actions"] else MappingSpec
        return f"unknown field '{field}' (known fields: {', '.join(model.model_fields)})"
    return f"field '{field}': {str(err.get('msg')).removeprefix('Value error, ')}"


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


class _Run:
    """One session being read: its events, open text action and session-level values."""

    def __init__(self, spec: MappingSpec, file: str):
        self.spec = spec
        self.file = file
        self.events = EventList(file)
        self.facts: dict[str, Any] = {}
        self.outcome_line = 0
        self._tools: dict[str, str] = {}
        self._pending: tuple[str, str] | None = None  # (call id, tool) of a text action

    def note(self, rec: dict[str, Any], line: int) -> None:
        """Keep the first value seen of each session-level field (agent, task, outcome, ...)."""
        for name in _SESSION_FIELDS:
            path = getattr(self.spec, name)
            value = dotted(rec, path) if path else None
            if value is None or name in self.facts:
                continue
            self.facts[name] = value
            if name in ("success", "reward") and not self.outcome_line:
                self.outcome_line = line

    def add(self, msg: dict[str, Any], line: int, key: str, model: str | None) -> None:
        """Turn one record or message into events; a shape it cannot read raises ValueError."""
        spec = self.spec
        raw_role = dotted(msg, spec.role) if spec.role else None
        role = spec.roles.get(str(raw_role), raw_role) if raw_role is not None else None
        output = dotted(msg, spec.tool_output) if spec.tool_output else None
        tool = dotted(msg, spec.tool_name) if spec.tool_name else None
        if self._pending and self._answers(raw_role, role, msg):
            self._text_result(msg, line, key, self._pending)
            self._pending = None
        elif output is not None or role in ("tool", "function"):
            self._result(msg, line, key, output)
        elif tool is not None:
            self._call(msg, line, key, str(tool), model)
        elif role in ROLE_TRUST:
            self._message(msg, line, key, role, model)
        elif raw_role is not None and str(raw_role) in spec.result_roles:
            self._text_result(msg, line, key, None)
        else:
            raise ValueError(f"role {raw_role!r} is not mapped (add it under 'roles')")

    def _get(self, msg: dict[str, Any], path: str | None) -> Any:
        return dotted(msg, path) if path else None

    def _answers(self, raw_role: Any, role: Any, msg: dict[str, Any]) -> bool:
        """Whether a message is the result of the open text action (by role and prefix)."""
        roles, prefix = self.spec.result_roles, self.spec.result_prefix
        if str(raw_role) not in roles and role not in roles:
            return False
        text = as_text(self._get(msg, self.spec.content))
        return prefix is None or text.lstrip().startswith(prefix)

    def _result(self, msg: dict[str, Any], line: int, key: str, output: Any) -> None:
        call_id = _text(self._get(msg, self.spec.call_id))
        tool = _text(self._get(msg, self.spec.tool_name)) or self._tools.get(call_id or "")
        code = to_int(self._get(msg, self.spec.exit_code))
        self.events.add(
            "tool_result",
            tool_trust(tool),
            line,
            key,
            tool=tool,
            call_id=call_id,
            text=as_text(output if output is not None else self._get(msg, self.spec.content)),
            is_error=bool(self._get(msg, self.spec.error)) or code not in (None, 0),
            exit_code=code,
            timestamp=parse_time(self._get(msg, self.spec.timestamp)),
        )

    def _text_result(
        self, msg: dict[str, Any], line: int, key: str, call: tuple[str, str] | None
    ) -> None:
        spec = self.spec
        output = self._get(msg, spec.tool_output)
        text = as_text(output if output is not None else self._get(msg, spec.content)).lstrip()
        if spec.result_prefix and text.startswith(spec.result_prefix):
            text = text[len(spec.result_prefix) :].lstrip()
        code, error = result_status(text, spec.error_pattern, spec.exit_code_pattern)
        code = to_int(self._get(msg, spec.exit_code)) if code is None else code
        tool = call[1] if call else None
        self.events.add(
            "tool_result",
            tool_trust(tool),
            line,
            key,
            tool=tool,
            call_id=call[0] if call else None,
            text=text,
            is_error=error or bool(self._get(msg, spec.error)) or code not in (None, 0),
            exit_code=code,
            timestamp=parse_time(self._get(msg, spec.timestamp)),
        )

    def _call(self, msg: dict[str, Any], line: int, key: str, tool: str, model: str | None) -> None:
        call_id = _text(self._get(msg, self.spec.call_id)) or key
        self._tools[call_id] = tool
        self.events.add(
            "tool_call",
            "agent",
            line,
            key,
            tool=tool,
            call_id=call_id,
            tool_input=parse_json_arg(self._get(msg, self.spec.tool_input)),
            timestamp=parse_time(self._get(msg, self.spec.timestamp)),
            model=model,
        )

    def _message(
        self, msg: dict[str, Any], line: int, key: str, role: Role, model: str | None
    ) -> None:
        text = as_text(self._get(msg, self.spec.content))
        ts = parse_time(self._get(msg, self.spec.timestamp))
        self.events.add(
            "message", ROLE_TRUST[role], line, key, role=role, text=text, timestamp=ts, model=model
        )
        if role == "assistant":
            self._pending = self._text_action(text, line, key, ts, model)

    def _text_action(
        self, text: str, line: int, key: str, ts: datetime | None, model: str | None
    ) -> tuple[str, str] | None:
        """The tool call an assistant message writes as text, if any: ``(call id, tool)``."""
        found = find_action(self.spec.actions, text) if self.spec.actions else None
        if found is None:
            return None
        tool, tool_input = found
        call_id = f"{key}.action"
        self.events.add(
            "tool_call",
            "agent",
            line,
            call_id,
            tool=tool,
            call_id=call_id,
            tool_input=tool_input,
            timestamp=ts,
            model=model,
        )
        return call_id, tool

    def session(self, native_id: str, options: AdapterOptions) -> ParsedSession:
        """The parsed session, named ``native_id``."""
        events = self.events.events
        times = [e.timestamp for e in events if e.timestamp]
        agent = _text(self.facts.get("agent_field"))
        task = self.facts.get("task")
        session = Session(
            native_id=native_id,
            format=MappingAdapter.name,
            source_file=self.file,
            agent=resolve_agent(options.agent, agent, self.spec.agent, default="unknown"),
            model=_text(self.facts.get("model"))
            or next((e.model for e in events if e.model), None),
            task=as_text(task) if task is not None else self._first_user_text(),
            started_at=min(times) if times else None,
            ended_at=max(times) if times else None,
        )
        return ParsedSession(session=session, events=events, outcome=self._outcome())

    def _first_user_text(self) -> str | None:
        return next((e.text for e in self.events.events if e.role == "user"), None)

    def _outcome(self) -> Outcome | None:
        reward = to_float(self.facts.get("reward"))
        success = _flag(self.facts.get("success"))
        if success is None and reward is not None:
            success = reward >= 1
        if success is None:
            return None
        return Outcome(
            success=success, reward=reward, source=SourceRef(file=self.file, line=self.outcome_line)
        )


def _flag(value: Any) -> bool | None:
    """A success flag from a boolean, a number (non-zero is true) or true/false/yes/no text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        return True if low in _TRUE else False if low in _FALSE else None
    number = to_float(value)
    return None if number is None else number != 0


class MappingAdapter:
    """Reads any JSON / JSONL log through a user's YAML mapping."""

    name = "mapping"
    description = "any JSON/JSONL log, through a YAML field mapping (--mapping FILE.yaml)"

    def sniff(self, path: Path, head: bytes) -> float:
        return 0.0

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        spec = load_mapping(options.mapping_file)
        if spec.messages:
            yield from self._session_per_record(path, spec, options, spec.messages)
        else:
            yield from self._message_per_record(path, spec, options)

    def _message_per_record(
        self, path: Path, spec: MappingSpec, options: AdapterOptions
    ) -> Iterator[ParseItem]:
        file = str(path)
        runs: dict[str, _Run] = {}
        for line, rec, error in _records(path, spec):
            if error is None:
                try:
                    if not isinstance(rec, dict):
                        raise TypeError("record is not an object")
                    sid = _text(dotted(rec, spec.session_id) if spec.session_id else None)
                    run = runs.setdefault(sid or path.stem, _Run(spec, file))
                    model = _text(dotted(rec, spec.model) if spec.model else None)
                    run.add(rec, line, f"L{line}", model)
                    run.note(rec, line)
                except SHAPE_ERRORS as exc:
                    error = str(exc)
            if error is not None:
                yield Malformed(file=file, line=line, reason=error)
        for sid, run in runs.items():
            if run.events.events:
                yield run.session(sid, options)

    def _session_per_record(
        self, path: Path, spec: MappingSpec, options: AdapterOptions, messages: str
    ) -> Iterator[ParseItem]:
        file = str(path)
        for line, rec, error in _records(path, spec):
            if error is None:
                try:
                    yield from self._record_session(path, spec, options, messages, rec, line)
                    continue
                except SHAPE_ERRORS as exc:
                    error = str(exc)
            yield Malformed(file=file, line=line, reason=error)

    def _record_session(
        self,
        path: Path,
        spec: MappingSpec,
        options: AdapterOptions,
        messages_path: str,
        rec: Any,
        line: int,
    ) -> Iterator[ParseItem]:
        """One record's session; a message that cannot be read is noted and skipped."""
        file = str(path)
        if not isinstance(rec, dict):
            raise TypeError("record is not an object")
        messages = dotted(rec, messages_path)
        if not isinstance(messages, list) or not messages:
            what = "an empty list" if messages == [] else "no list"
            yield Malformed(file=file, line=line, reason=f"{what} of messages at '{messages_path}'")
            return
        run = _Run(spec, file)
        run.note(rec, line)
        model = _text(run.facts.get("model"))
        for index, msg in enumerate(messages):
            try:
                if not isinstance(msg, dict):
                    raise TypeError("message is not an object")
                run.add(msg, line, f"m{index}", model)
            except SHAPE_ERRORS as exc:
                yield Malformed(file=file, line=line, reason=f"message {index}: {exc}")
        if run.events.events:
            sid = _text(dotted(rec, spec.session_id) if spec.session_id else None)
            yield run.session(sid or f"{path.stem}/{line}", options)


def _records(path: Path, spec: MappingSpec) -> Iterator[tuple[int, Any, str | None]]:
    """``(line or index, record, None)``, or ``(line, None, reason)`` for a line set aside."""
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
