"""LiteLLM-style completion logs: one LLM call per record, as OpenHands and LiteLLM proxies write.

A record is one call: ``{"messages": [...], "response": {"object":
"chat.completion", "model", "choices": [{"message": {...}}], "usage"}, "args",
"kwargs", "timestamp", "cost"}`` (an exchange ``{"request": {"messages"},
"response"}`` is read the same way). ``messages`` is the whole conversation
so far in OpenAI shape (``content`` as text or a list of blocks, assistant
``tool_calls``, ``tool`` results with ``tool_call_id``); ``response`` adds the
new assistant turn. OpenHands writes one record per file under
``llm_completions/<instance>/<model>-<time>.json``; when it simulated function
calling, ``fncall_messages`` / ``fncall_response`` hold the structured calls
and are read instead. A file may also hold a list of records or one record
per line (JSONL).

Events: the messages as in :mod:`reverie.adapters.openai_chat` (system ->
``operator``, user -> ``user``, assistant text and tool calls -> ``agent``,
``tool`` results paired by ``tool_call_id``, an ``Error...`` result is an
error), then the response's assistant message at the next position. Content
is reduced to its text (blocks joined by newlines, an image block is
``[image]``, whitespace-only assistant text is no text), so message i becomes
the same events in every file that holds it, and a response becomes the same
events as its copy in the next call's ``messages``. Keys are positional
(``m<i>``, ``m<i>.call<j>``). Only the response's events carry what the next
call's copy cannot: the first gets ``usage`` (``response.usage`` tokens,
``cost``), all get the record's ``timestamp`` as ``attrs["logged_at"]`` (not
as ``Event.timestamp``, which is part of an event's content and would make
the response differ from its copy); the session's start and end are the
earliest and latest record times. Assistant events carry the call's model.
A tool result ending in OpenHands' ``[The command completed with exit code
N.]`` (or ``[Command finished with exit code N]``) gets ``exit_code`` N.

Session id (the run, never the file): the ``<instance>`` folder under
``llm_completions/`` (also kept in ``attrs.instance_id``); else a session id
the log carries (``session_id``, ``litellm_session_id``, ``conversation_id``
or ``trace_id`` in ``metadata``, ``kwargs.metadata``,
``kwargs.extra_body.metadata``, ``kwargs.litellm_metadata``,
``request.metadata``, or ``kwargs.litellm_session_id``); else
``opening:<hash>`` of the conversation's first system and first user message;
else the response id. Records of one file that continue each other (same
session id, each call's events extending the previous call's) are one session;
events keep the line of the record that first held them. Sessions are marked
``snapshot`` (each file is a snapshot of a run that later files extend), so
the ingest core continues a stored run of another file whose events this one
extends. Model: ``response.model``, else the request's ``model``. Agent:
``openhands/<agent class>/<model>`` for the OpenHands layout (the class from
the run folder's ``metadata.json`` or a folder named like ``CodeActAgent``,
as the event-stream adapter names the same run), else the model, else
``unknown``; ``--agent`` always wins. Source lines: the JSONL line, the
record's 1-based index in a JSON list, or, for a file holding one record, the
1-based index of the message (the response is the last).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from reverie.adapters._chat_evidence import completion_marks
from reverie.adapters._common import (
    SHAPE_ERRORS,
    as_text,
    dotted,
    head_text,
    is_jsonl,
    iter_json_lines,
    load_json_document,
    parse_time,
    read_sample,
    resolve_agent,
    to_float,
    to_int,
)
from reverie.adapters._reading import decode, read_neighbour
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.adapters.openai_chat import convert_messages
from reverie.errors import InputError
from reverie.ids import make_id
from reverie.models import Event, Malformed, ParsedSession, Session, Usage

__all__ = ["ADAPTER", "LiteLLMAdapter"]

OPENHANDS_FOLDER = "llm_completions"
SESSION_KEYS = ("session_id", "litellm_session_id", "conversation_id", "trace_id")
METADATA_PATHS = (
    "metadata",
    "kwargs.metadata",
    "kwargs.extra_body.metadata",
    "kwargs.litellm_metadata",
    "request.metadata",
)
_EXIT_CODE = re.compile(
    r"\[(?:The command completed|Command finished) with exit code (-?\d+)\.?\]\s*$"
)


@dataclass
class _Call:
    """One record read: its conversation as events and what names the run."""

    native_id: str
    events: list[Event]
    model: str | None
    line: int
    instance: str | None = None
    times: list[datetime] = field(default_factory=list)


def _block_text(block: Any) -> str:
    if isinstance(block, dict) and block.get("type") in ("image_url", "image"):
        return "[image]"
    if isinstance(block, dict) and block.get("type") == "text":
        return str(block.get("text") or "")
    return as_text(block)


def _plain(msg: Any) -> Any:
    """A message with its content reduced to text (see the module docstring)."""
    if not isinstance(msg, dict):
        return msg
    content = msg.get("content")
    if isinstance(content, list):
        content = "\n".join(t for t in (_block_text(b) for b in content) if t)
    if msg.get("role") == "assistant" and isinstance(content, str) and not content.strip():
        content = None
    return {**msg, "content": content}


def _conversation(record: dict[str, Any]) -> tuple[list[Any], dict[str, Any] | None, Any]:
    """(messages, response object, response message); the fncall pair when present."""
    if isinstance(record.get("fncall_messages"), list):
        messages, response = record["fncall_messages"], record.get("fncall_response")
    else:
        request = record["request"] if isinstance(record.get("request"), dict) else record
        messages, response = request.get("messages"), record.get("response")
    if not isinstance(messages, list):
        raise TypeError("'messages' is not a list")
    if response is None:
        return messages, None, None
    if not isinstance(response, dict):
        raise TypeError("'response' is not an object")
    choices = response.get("choices") or []
    if not isinstance(choices, list):
        raise TypeError("'response.choices' is not a list")
    message = choices[0]["message"] if choices else None
    if message is not None and not isinstance(message, dict):
        raise TypeError("the response's message is not an object")
    return messages, response, {**message, "role": "assistant"} if message else None


def _usage(response: dict[str, Any] | None, record: dict[str, Any]) -> Usage | None:
    raw = response.get("usage") if response else None
    cost = to_float(record.get("cost"))
    cost = cost if cost is not None else to_float(record.get("response_cost"))
    if not isinstance(raw, dict):
        return Usage(cost_usd=cost) if cost is not None else None
    cached = to_int(dotted(raw, "prompt_tokens_details.cached_tokens"))
    return Usage(
        input_tokens=to_int(raw.get("prompt_tokens")) or 0,
        output_tokens=to_int(raw.get("completion_tokens")) or 0,
        cache_read_tokens=cached or to_int(raw.get("cache_read_input_tokens")) or 0,
        cache_write_tokens=to_int(raw.get("cache_creation_input_tokens")) or 0,
        cost_usd=cost,
    )


def _model(record: dict[str, Any], response: dict[str, Any] | None) -> str | None:
    candidates = (
        response.get("model") if response else None,
        dotted(record, "request.model"),
        dotted(record, "kwargs.model"),
        record.get("model"),
    )
    return next((m.strip() for m in candidates if isinstance(m, str) and m.strip()), None)


def _openhands_instance(path: Path) -> str | None:
    """The ``<instance>`` folder of ``.../llm_completions/<instance>/<file>``, else None.

    >>> _openhands_instance(Path("out/llm_completions/django__django-11099/gpt-4o-1.json"))
    'django__django-11099'
    >>> _openhands_instance(Path("out/llm_completions/gpt-4o-1.json")) is None
    True
    """
    parts = path.parts[:-1]
    if OPENHANDS_FOLDER not in parts:
        return None
    index = len(parts) - 1 - parts[::-1].index(OPENHANDS_FOLDER)
    return parts[index + 1] if index + 1 < len(parts) else None


def _logged_session_id(record: dict[str, Any]) -> str | None:
    for path in METADATA_PATHS:
        metadata = dotted(record, path)
        if not isinstance(metadata, dict):
            continue
        for key in SESSION_KEYS:
            value = metadata.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                return str(value)
    value = dotted(record, "kwargs.litellm_session_id")
    return str(value) if isinstance(value, str) and value else None


def _opening_id(messages: list[Any]) -> str | None:
    """``opening:<hash>`` of the first system and first user message's text, if any."""
    plain = [_plain(m) for m in messages if isinstance(m, dict)]
    system = next((m["content"] for m in plain if m.get("role") in ("system", "developer")), None)
    user = next((m["content"] for m in plain if m.get("role") == "user"), None)
    if system is None and user is None:
        return None
    return "opening:" + make_id("opening", system, user)


def _stamp_response(
    events: list[Event], position: int, usage: Usage | None, ts: datetime | None
) -> None:
    """Put usage (on the first) and the call's time (in attrs) on the response's events."""
    own = [e for e in events if e.key == f"m{position}" or e.key.startswith(f"m{position}.")]
    for event in own:
        event.attrs = {**event.attrs, "logged_at": ts.isoformat()} if ts else event.attrs
    if own:
        own[0].usage = usage


def _exit_codes(events: list[Event]) -> None:
    for event in events:
        found = _EXIT_CODE.search(event.text or "") if event.kind == "tool_result" else None
        if found:
            event.exit_code = int(found.group(1))


def _read_call(record: Any, path: Path, line: int, single: bool) -> _Call:
    """One record as a :class:`_Call`; a record of the wrong shape raises a SHAPE_ERROR."""
    if not isinstance(record, dict):
        raise TypeError("record is not an object")
    messages, response, reply = _conversation(record)
    model = _model(record, response)
    conversation = [_plain(m) for m in messages] + ([_plain(reply)] if reply else [])
    lines = list(range(1, len(conversation) + 1)) if single else [line] * len(conversation)
    events = convert_messages(conversation, str(path), lines, model=model).events
    created = response.get("created") if response else None
    ts = parse_time(record.get("timestamp")) or parse_time(created)
    if reply:
        _stamp_response(events, len(messages), _usage(response, record), ts)
    _exit_codes(events)
    instance = _openhands_instance(path)
    native_id = (
        instance
        or _logged_session_id(record)
        or _opening_id(messages)
        or (str(response["id"]) if response and response.get("id") else path.stem)
    )
    return _Call(native_id, events, model, line, instance, [ts] if ts else [])


def _same(a: Event, b: Event) -> bool:
    fields = ("key", "kind", "role", "text", "tool", "call_id", "tool_input")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def _continues(old: _Call, new: _Call) -> bool:
    """Whether ``new`` is the next call of the run ``old`` has read so far."""
    return (
        old.native_id == new.native_id
        and len(new.events) >= len(old.events)
        and all(_same(a, b) for a, b in zip(old.events, new.events, strict=False))
    )


def _records(path: Path) -> Iterator[tuple[int, Any, str | None, bool]]:
    """(line, record, error, single) for each record of a JSONL file or JSON document."""
    if is_jsonl(path):
        for line, value, error in iter_json_lines(path):
            yield line, value, error, False
        return
    doc = load_json_document(path)
    if isinstance(doc, dict):
        if not any(key in doc for key in ("messages", "request", "fncall_messages")):
            raise InputError("not a completion log: no 'messages' or 'request'", path)
        yield 1, doc, None, True
    elif isinstance(doc, list):
        for index, value in enumerate(doc, start=1):
            yield index, value, None, False
    else:
        raise InputError("not a completion log: neither a record nor a list of records", path)


_AGENT_CLASS = re.compile(r"^[A-Z]\w*Agent$")


def _agent_class(path: Path) -> str | None:
    """The OpenHands agent class of a run's completion log: the run folder's
    ``metadata.json`` (``agent_class``), else a folder named like one
    (``outputs/<benchmark>/CodeActAgent/<config>/llm_completions/...``)."""
    parts = path.parts
    if OPENHANDS_FOLDER not in parts:
        return None
    run = Path(*parts[: parts.index(OPENHANDS_FOLDER)])
    data = read_neighbour(run / "metadata.json")
    try:
        meta = decode(data) if data is not None else None
    except ValueError:
        meta = None
    if isinstance(meta, dict) and isinstance(meta.get("agent_class"), str):
        return meta["agent_class"]
    return next((p for p in reversed(run.parts) if _AGENT_CLASS.match(p)), None)


class LiteLLMAdapter:
    """Reads LiteLLM-style completion logs (OpenHands ``llm_completions``, LiteLLM proxies)."""

    name = "litellm"
    description = "LiteLLM-style completion logs: {messages, response, ...} per LLM call"

    def sniff(self, path: Path, head: bytes) -> float:
        marks = completion_marks(head_text(head), read_sample(path, head))
        if "chat_completion_response" in marks or "fncall_response" in marks:
            return 0.95
        return 0.9 if marks else 0.0

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        file, current, found = str(path), None, False
        for line, record, error, single in _records(path):
            found = True
            if error:
                yield Malformed(file=file, line=line, reason=error)
                continue
            try:
                call = _read_call(record, path, line, single)
            except SHAPE_ERRORS as exc:
                yield Malformed(file=file, line=line, reason=f"not a completion record: {exc}")
                continue
            if current is not None and _continues(current, call):
                current.events += call.events[len(current.events) :]
                current.model = call.model or current.model
                current.times += call.times
                continue
            if current is not None:
                yield self._session(current, file, options)
            current = call
        if current is not None:
            yield self._session(current, file, options)
        if not found:
            raise InputError("no completion records found", file)

    def _session(self, call: _Call, file: str, options: AdapterOptions) -> ParsedSession:
        if call.instance:
            short = call.model.rsplit("/", 1)[-1] if call.model else None
            parts = [p for p in (_agent_class(Path(file)), short) if p]
            default = "/".join(["openhands", *parts])
        else:
            default = call.model or "unknown"
        session = Session(
            native_id=call.native_id,
            agent=resolve_agent(options.agent, default=default),
            format=self.name,
            source_file=file,
            task=next((e.text for e in call.events if e.role == "user"), None),
            model=call.model,
            started_at=min(call.times, default=None),
            ended_at=max(call.times, default=None),
            attrs={"instance_id": call.instance} if call.instance else {},
        )
        return ParsedSession(session=session, events=call.events, snapshot=True)


ADAPTER = LiteLLMAdapter()
