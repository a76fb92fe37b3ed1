"""Anthropic Messages API logs: requests, responses and ``messages`` arrays.

Accepted records (a JSON document holding one record or a list of them, or
JSONL with one record per line):

* an exchange ``{"request": {model, system, messages}, "response": {...}}``;
* a request ``{"model", "system", "messages": [...]}`` (optionally with a
  ``response`` key);
* a response ``{"type": "message", "role": "assistant", "content": [...],
  "usage": {...}}``;
* a single message ``{"role", "content"}``.

Requests resend the whole conversation, so a record whose ``messages`` start
with the conversation seen so far continues it (only the new messages become
events); any other request starts a new session. Loose messages and
responses continue the current conversation. Content blocks: ``text``,
``tool_use`` (tool call), ``tool_result`` (result, ``is_error``),
``server_tool_use`` / ``web_search_tool_result`` (web content is
``external``); ``thinking`` is kept in the assistant message's attrs. Usage
(``input_tokens``, ``output_tokens``, ``cache_*``) sits on the first event of
each response. An API ``error`` response is an error event. Source lines:
the JSONL line, or the 1-based index of the record in a JSON document.

Model: the latest response's ``model``, else the request's. Agent: the model,
else ``unknown`` (never the format's name); ``--agent`` always wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reverie.adapters._chat_evidence import anthropic_marks, openai_marks
from reverie.adapters._common import (
    SHAPE_ERRORS,
    EventList,
    as_text,
    has_key,
    head_text,
    is_jsonl,
    iter_json_lines,
    json_object,
    json_type,
    load_json_document,
    parse_time,
    resolve_agent,
    to_int,
    tool_trust,
)
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.errors import InputError
from reverie.models import Malformed, ParsedSession, Session, Usage

__all__ = ["ADAPTER", "AnthropicAdapter"]


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(
        input_tokens=to_int(raw.get("input_tokens")) or 0,
        output_tokens=to_int(raw.get("output_tokens")) or 0,
        cache_read_tokens=to_int(raw.get("cache_read_input_tokens")) or 0,
        cache_write_tokens=to_int(raw.get("cache_creation_input_tokens")) or 0,
    )


def _block_type(kind: Any, index: int) -> str:
    """A content block's ``type``, which must be a string."""
    if not isinstance(kind, str):
        raise TypeError(f"content block {index + 1}'s type is {json_type(kind)}, not a string")
    return kind


class _Conversation:
    """One session being assembled from records."""

    def __init__(self, file: str, first_line: int):
        self.events = EventList(file)
        self.known: list[Any] = []
        self.model: str | None = None
        self.native_id: str | None = None
        self.first_line = first_line
        self.count = 0

    def system(self, system: Any, line: int) -> None:
        if system and not any(e.role == "system" for e in self.events.events):
            self.events.add(
                "message", "operator", line, "system", role="system", text=as_text(system)
            )

    def message(
        self,
        msg: dict[str, Any],
        line: int,
        usage: Usage | None = None,
        model: str | None = None,
        ts=None,
    ) -> None:
        role, content = msg["role"], msg.get("content")
        self.count += 1
        key = f"m{self.count}"
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            raise TypeError("message content is neither text nor a list of blocks")
        blocks = [json_object(b, f"content block {j + 1}") for j, b in enumerate(blocks)]
        if role == "assistant":
            self._assistant(blocks, key, line, usage, model, ts)
        elif role == "user":
            self._user(blocks, key, line, ts)
        else:
            raise ValueError(f"unknown role {role!r}")
        self.known.append(_signature(msg))

    def _assistant(self, blocks, key, line, usage, model, ts) -> None:
        text = "\n".join(b["text"] for b in blocks if b.get("type") == "text")
        thinking = "\n".join(b.get("thinking", "") for b in blocks if b.get("type") == "thinking")
        if text or not any(b.get("type") in ("tool_use", "server_tool_use") for b in blocks):
            self.events.add(
                "message",
                "agent",
                line,
                key,
                role="assistant",
                text=text,
                usage=usage,
                model=model,
                timestamp=ts,
                attrs={"thinking": thinking} if thinking else {},
            )
            usage = None
        for j, block in enumerate(blocks):
            kind = block.get("type")
            if kind in ("tool_use", "server_tool_use"):
                self.events.add(
                    "tool_call",
                    "agent",
                    line,
                    f"{key}.{j}",
                    tool=block["name"],
                    call_id=str(block["id"]),
                    tool_input=block.get("input"),
                    usage=usage,
                    model=model,
                    timestamp=ts,
                )
                usage = None
            elif kind and _block_type(kind, j).endswith("_tool_result"):
                self._result(block, f"{key}.{j}", line, ts, external=True)

    def _user(self, blocks, key, line, ts) -> None:
        text = "\n".join(b["text"] for b in blocks if b.get("type") == "text")
        for j, block in enumerate(blocks):
            if block.get("type") == "tool_result":
                self._result(block, f"{key}.{j}", line, ts)
        if text:
            self.events.add("message", "user", line, key, role="user", text=text, timestamp=ts)

    def _result(self, block, key, line, ts, external=False) -> None:
        call_id = str(block.get("tool_use_id"))
        tool = next(
            (e.tool for e in self.events.events if e.kind == "tool_call" and e.call_id == call_id),
            None,
        )
        trust = "external" if external else tool_trust(tool)
        content = block.get("content")
        is_error = bool(block.get("is_error")) or (
            isinstance(content, dict) and str(content.get("type", "")).endswith("error")
        )
        self.events.add(
            "tool_result",
            trust,
            line,
            key,
            tool=tool,
            call_id=call_id,
            text=as_text(content),
            is_error=is_error,
            timestamp=ts,
        )


def _signature(msg: Any) -> tuple:
    """What identifies a message when a later request resends it (extra fields ignored)."""
    if not isinstance(msg, dict):
        return (repr(msg),)
    content = msg.get("content")
    if isinstance(content, str):
        return (msg.get("role"), content)
    if not isinstance(content, list):
        return (msg.get("role"), repr(content))
    return (
        msg.get("role"),
        *(
            (b.get("type"), b.get("text") or b.get("id") or b.get("tool_use_id"))
            if isinstance(b, dict)
            else repr(b)
            for b in content
        ),
    )


def _parts(record: dict[str, Any]) -> tuple[dict | None, dict | None]:
    """(request, response) of a record; either may be None."""
    request, response = record.get("request"), record.get("response")
    if isinstance(request, dict) or isinstance(response, dict):
        return (
            None if request is None else json_object(request, "request"),
            None if response is None else json_object(response, "response"),
        )
    if isinstance(record.get("messages"), list):
        return record, None
    if record.get("type") in ("message", "error"):
        return None, record
    if "role" in record:
        return {"messages": [record], "_loose": True}, None
    raise ValueError("neither a request, a response nor a message")


class AnthropicAdapter:
    """Reads Anthropic Messages API request/response logs and message arrays."""

    name = "anthropic"
    description = "Anthropic Messages API logs (requests/responses, messages with tool_use blocks)"

    def sniff(self, path: Path, head: bytes) -> float:
        text = head_text(head)
        if has_key(text, "parentUuid") or has_key(text, "sessionId") or has_key(text, "reverie"):
            return 0.0
        marks = set(anthropic_marks(text))
        if marks & {"tool_result_block", "stop_reason", "tool_use_block"}:
            return 0.8
        blocks = re.search(r'"type"\s*:\s*"(tool_use|tool_result|text|thinking)"', text)
        if not (blocks and (has_key(text, "messages") or has_key(text, "role"))):
            return 0.0
        return 0.3 if openai_marks(text) and not marks else 0.6

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        file = str(path)
        if is_jsonl(path):
            records = ((n, v, err) for n, v, err in iter_json_lines(path))
        else:
            doc = load_json_document(path)
            items = doc if isinstance(doc, list) else [doc]
            records = ((i, v, None) for i, v in enumerate(items, start=1))
        state: dict[str, Any] = {"current": None, "found": False}
        for line, record, error in records:
            if error:
                yield Malformed(file=file, line=line, reason=error)
                continue
            try:
                done = self._record(record, line, file, state, options)
            except SHAPE_ERRORS as exc:
                yield Malformed(file=file, line=line, reason=f"not a Messages API record: {exc}")
                continue
            if done is not None:
                yield done
        if state["current"] is not None:
            yield self._finish(state["current"], file, options)
        elif not state["found"]:
            raise InputError("no Anthropic Messages API records found", file)

    def _record(self, record, line, file, state, options) -> ParsedSession | None:
        if not isinstance(record, dict):
            raise TypeError("record is not an object")
        request, response = _parts(record)
        finished, conv = None, state["current"]
        ts = parse_time(record.get("timestamp") or record.get("created_at"))
        if request is not None:
            messages = request["messages"]
            if not isinstance(messages, list):
                raise TypeError("'messages' is not a list")
            loose = request.get("_loose")
            continues = conv is not None and (
                loose or [_signature(m) for m in messages[: len(conv.known)]] == conv.known
            )
            if not continues:
                if conv is not None:
                    finished = self._finish(conv, file, options)
                conv = _Conversation(file, line)
                new = messages
            else:
                new = messages if loose else messages[len(conv.known) :]
            requested = request.get("model")
            conv.model = requested if isinstance(requested, str) and requested else conv.model
            conv.system(request.get("system"), line)
            for msg in new:
                conv.message(msg, line, ts=ts)
        if response is not None:
            if conv is None:
                conv = _Conversation(file, line)
            self._response(conv, response, line, ts)
        state["current"], state["found"] = conv, True
        return finished

    def _response(self, conv: _Conversation, response: dict[str, Any], line: int, ts) -> None:
        if response.get("type") == "error":
            error = json_object(response.get("error") or {}, "the response's error")
            conv.count += 1
            conv.events.add(
                "message",
                "agent",
                line,
                f"m{conv.count}",
                role="assistant",
                text=as_text(error.get("message") or error),
                is_error=True,
                flags=["api_error"],
                timestamp=ts,
            )
            return
        model = response.get("model") if isinstance(response.get("model"), str) else None
        conv.model = model or conv.model
        conv.native_id = conv.native_id or (str(response["id"]) if response.get("id") else None)
        conv.message(
            {"role": "assistant", "content": response.get("content") or []},
            line,
            usage=_usage(response.get("usage")),
            model=model,
            ts=ts,
        )

    def _finish(self, conv: _Conversation, file: str, options: AdapterOptions) -> ParsedSession:
        events = conv.events.events
        times = [e.timestamp for e in events if e.timestamp]
        session = Session(
            native_id=conv.native_id or f"{Path(file).stem}:{conv.first_line}",
            agent=resolve_agent(options.agent, conv.model, default="unknown"),
            format=self.name,
            source_file=file,
            model=conv.model,
            task=next((e.text for e in events if e.role == "user"), None),
            started_at=min(times) if times else None,
            ended_at=max(times) if times else None,
        )
        return ParsedSession(session=session, events=events)


ADAPTER = AnthropicAdapter()
