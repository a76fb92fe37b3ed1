"""OpenAI chat-completions transcripts: ``messages`` with ``tool_calls`` and ``tool`` replies.

Accepted shapes:

* one conversation per JSON file: ``{"messages": [...]}`` or a bare list of messages;
* a JSON list of runs with the messages under a key (``traj``, ``messages`` or
  ``conversation``), as tau-bench writes them (``{task_id, trial, reward, info, traj}``);
* JSONL: one conversation or run per line, or one message per line (the whole
  file is then one session).

Some logs reuse a tool call id within a conversation (tau-bench does); a
reused id gets a ``#n`` suffix so each call's id is unique and a result pairs
with the latest call of that id. Source lines: the 1-based line for JSONL;
for a JSON document, the 1-based index of the message within its run (the
run's index is in ``attrs.run_index``).
A ``tool`` message whose text starts with ``Error`` (tau-bench's convention)
is an error. Session id: the run's ``id`` / ``session_id`` /
``conversation_id``, else ``<file stem>/task-<task_id>-trial-<trial>`` (tau-bench;
the file name carries model and task range) or ``<file stem>/run-<n>``.
``reward`` gives the outcome (success when ``reward >= 1``);
``success`` / ``resolved`` booleans are used when there is no reward.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reverie.adapters._common import (
    SHAPE_ERRORS,
    EventList,
    as_text,
    has_key,
    head_text,
    is_jsonl,
    iter_json_lines,
    load_json_document,
    parse_json_arg,
    parse_time,
    resolve_agent,
    to_float,
    to_int,
    tool_trust,
)
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.errors import InputError
from reverie.models import Malformed, Outcome, ParsedSession, Session, Usage

__all__ = ["ADAPTER", "OpenAIChatAdapter"]

RUN_KEYS = ("traj", "messages", "conversation")
ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
_ERROR_TEXT = re.compile(r"^\s*error\b", re.I)


def _messages_of(run: dict[str, Any]) -> list[Any] | None:
    for key in RUN_KEYS:
        if isinstance(run.get(key), list):
            return run[key]
    return None


def _is_message(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("role") in ROLES


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(
        input_tokens=to_int(raw.get("prompt_tokens")) or 0,
        output_tokens=to_int(raw.get("completion_tokens")) or 0,
        cost_usd=to_float(raw.get("cost")),
    )


def _outcome(run: dict[str, Any]) -> Outcome | None:
    reward = to_float(run.get("reward"))
    if reward is not None:
        return Outcome(success=reward >= 1, reward=reward, detail=f"reward={reward:g}")
    for key in ("success", "resolved"):
        if isinstance(run.get(key), bool):
            return Outcome(success=run[key], detail=f"{key}={run[key]}")
    return None


def _native_id(run: dict[str, Any], index: int, stem: str) -> str:
    """The run's own id, else ``<file stem>/task-<id>-trial-<n>`` or ``<file stem>/run-<n>``."""
    for key in ("id", "session_id", "conversation_id"):
        if isinstance(run.get(key), str | int) and not isinstance(run.get(key), bool):
            return str(run[key])
    if "task_id" in run:
        trial = run.get("trial")
        return f"{stem}/task-{run['task_id']}" + (f"-trial-{trial}" if trial is not None else "")
    return f"{stem}/run-{index + 1}"


def convert_messages(messages: list[Any], file: str, lines: list[int]) -> EventList:
    """Turn chat messages into events; ``lines[i]`` is message i's source line."""
    events = EventList(file)
    pending: dict[str, tuple[str, str | None]] = {}  # native id -> (unique id, tool)
    for i, msg in enumerate(messages):
        line = lines[i]
        if not _is_message(msg):
            raise ValueError(f"message {i + 1} has no known role")
        role = msg["role"]
        ts = parse_time(msg.get("timestamp") or msg.get("created_at"))
        text = as_text(msg.get("content"))
        if role in ("system", "developer"):
            events.add("message", "operator", line, f"m{i}", role="system", text=text, timestamp=ts)
        elif role == "user":
            events.add("message", "user", line, f"m{i}", role="user", text=text, timestamp=ts)
        elif role == "assistant":
            _assistant(events, msg, i, line, text, ts, pending)
        else:
            raw = msg.get("tool_call_id")
            call_id, tool = pending.get(str(raw), (str(raw) if raw is not None else None, None))
            tool = msg.get("name") or tool
            events.add(
                "tool_result",
                tool_trust(tool),
                line,
                f"m{i}",
                text=text,
                tool=tool,
                call_id=call_id,
                is_error=bool(msg.get("is_error")) or bool(_ERROR_TEXT.match(text)),
                timestamp=ts,
            )
    return events


def _assistant(events, msg, i, line, text, ts, pending) -> None:
    model = msg.get("model") if isinstance(msg.get("model"), str) else None
    usage = _usage(msg.get("usage"))
    calls = msg.get("tool_calls") or []
    if msg.get("function_call"):
        calls = [*calls, {"function": msg["function_call"]}]
    if text or not calls:
        events.add(
            "message",
            "agent",
            line,
            f"m{i}",
            role="assistant",
            text=text,
            timestamp=ts,
            model=model,
            usage=usage,
        )
        usage = None
    for j, call in enumerate(calls):
        fn = call.get("function") or {}
        name = fn.get("name")
        raw = str(call.get("id") or f"m{i}.{j}")
        call_id, n = raw, 1
        while any(c == call_id for c, _ in pending.values()):
            n += 1
            call_id = f"{raw}#{n}"
        pending[raw] = (call_id, name)
        events.add(
            "tool_call",
            "agent",
            line,
            f"m{i}.call{j}",
            tool=name,
            call_id=call_id,
            tool_input=parse_json_arg(fn.get("arguments")),
            timestamp=ts,
            model=model,
            usage=usage,
        )
        usage = None


class OpenAIChatAdapter:
    """Reads OpenAI chat-completions message lists, including tau-bench result files."""

    name = "openai-chat"
    description = "OpenAI chat messages with tool_calls / tool replies (tau-bench runs, JSONL)"

    def sniff(self, path: Path, head: bytes) -> float:
        text = head_text(head)
        if not re.search(r'"role"\s*:\s*"(system|user|assistant|tool)"', text):
            return 0.9 if has_key(text, "traj") and has_key(text, "reward") else 0.0
        if has_key(text, "traj") and (has_key(text, "reward") or has_key(text, "task_id")):
            return 0.9
        if has_key(text, "reverie") or has_key(text, "parentUuid") or has_key(text, "trajectory"):
            return 0.0
        if has_key(text, "tool_use") or re.search(r'"type"\s*:\s*"tool_(use|result)"', text):
            return 0.2
        if has_key(text, "tool_calls") or has_key(text, "role", "tool"):
            return 0.6
        return 0.4

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        file = str(path)
        if not is_jsonl(path):
            yield from self._parse_document(path, file, options)
            return
        singles: list[tuple[int, Any]] = []
        runs = 0
        for lineno, value, error in iter_json_lines(path):
            if error:
                yield Malformed(file=file, line=lineno, reason=error)
            elif _is_message(value):
                singles.append((lineno, value))
            elif isinstance(value, dict) and _messages_of(value) is not None:
                runs += 1
                yield self._run(value, runs - 1, file, options, [lineno] * len(_messages_of(value)))
            else:
                yield Malformed(file=file, line=lineno, reason="neither a message nor a run")
        if singles:
            yield self._run(
                {"messages": [m for _, m in singles]},
                0,
                file,
                options,
                [n for n, _ in singles],
                native_id=path.stem,
            )
        elif not runs:
            raise InputError("no OpenAI chat messages or runs found", file)

    def _parse_document(self, path: Path, file: str, options: AdapterOptions):
        doc = load_json_document(path)
        if isinstance(doc, dict) and _messages_of(doc) is not None:
            runs = [doc]
        elif isinstance(doc, list) and doc and all(_is_message(m) for m in doc):
            runs = [{"messages": doc}]
        elif _is_message(doc):
            runs = [{"messages": [doc]}]
        elif isinstance(doc, list) and any(
            isinstance(r, dict) and _messages_of(r) is not None for r in doc
        ):
            runs = doc
        else:
            raise InputError("not OpenAI chat messages: no message list or runs found", file)
        for index, run in enumerate(runs):
            if not isinstance(run, dict) or _messages_of(run) is None:
                yield Malformed(file=file, line=index + 1, reason="run without a message list")
                continue
            n = len(_messages_of(run))
            yield self._run(run, index, file, options, list(range(1, n + 1)))

    def _run(self, run, index, file, options, lines, native_id=None) -> ParseItem:
        try:
            messages = _messages_of(run) or []
            events = convert_messages(messages, file, lines)
            model = run.get("model") if isinstance(run.get("model"), str) else None
            model = model or next((e.model for e in events.events if e.model), None)
            times = [e.timestamp for e in events.events if e.timestamp]
            task = next((e.text for e in events.events if e.role == "user"), None)
            scaffold = "tau-bench" if "task_id" in run and "traj" in run else None
            attrs: dict[str, Any] = {"run_index": index}
            for key in ("task_id", "trial"):
                if key in run:
                    attrs[key] = run[key]
            default = f"{scaffold}/{model}" if scaffold and model else scaffold or model
            session = Session(
                native_id=native_id or _native_id(run, index, Path(file).stem),
                agent=resolve_agent(
                    options.agent, run.get("agent"), default=default or "openai-chat"
                ),
                format=self.name,
                source_file=file,
                task=task,
                model=model,
                started_at=min(times) if times else None,
                ended_at=max(times) if times else None,
                attrs=attrs,
            )
            return ParsedSession(session=session, events=events.events, outcome=_outcome(run))
        except SHAPE_ERRORS as exc:
            return Malformed(
                file=file,
                line=lines[0] if lines else index + 1,
                reason=f"run {index + 1} is not a chat transcript: {exc}",
            )


ADAPTER = OpenAIChatAdapter()
