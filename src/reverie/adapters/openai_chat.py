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

Model: the run's ``model``, ``response.model`` or ``request.model``, else the
first assistant message's ``model``. tau-bench writes no model into its runs
but names its result files after it (``<strategy>-<model>-<temperature>_range_
...``, or here ``gpt-4o-airline...``), so for a tau-bench run without a model
the model is read from the file name when a part of it looks like one (see
:func:`model_from_file_name`; ``Session.attrs["model_from"]`` then says
``"file name"``). Agent: ``tau-bench/<model>`` for tau-bench runs (``tau-bench``
when no model is known), else the run's ``agent``, else the model, else
``unknown``; ``--agent`` always wins. The format's name is never the agent.
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
    dotted,
    has_key,
    head_text,
    is_jsonl,
    iter_json_lines,
    json_object,
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

__all__ = ["ADAPTER", "OpenAIChatAdapter", "convert_messages", "model_from_file_name"]

RUN_KEYS = ("traj", "messages", "conversation")
ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
_ERROR_TEXT = re.compile(r"^\s*error\b", re.I)

_MODEL_FAMILY = re.compile(
    r"gpt\d[a-z0-9.]*|gpt|o[1-9]|claude|gemini|gemma|llama\d*(\.\d+)?|mistral|mixtral|"
    r"ministral|codestral|deepseek|qwen\d*(\.\d+)?|qwq|grok|phi\d*(\.\d+)?|command|kimi|glm",
    re.I,
)
_MODEL_WORD = re.compile(
    r"turbo|mini|nano|preview|sonnet|haiku|opus|pro|flash|lite|instruct|chat|coder|latest|exp|"
    r"large|medium|small|tiny|base|vision|reasoner|thinking|it|hf|max|plus|fast|nemo|maverick|"
    r"scout|online|codex|r",
    re.I,
)
_VERSION_PART = re.compile(r"[a-z]*\d[a-z0-9]*(\.\d+[a-z0-9]*)?", re.I)
_TEMPERATURE = re.compile(r"[0-2]\.\d+")
_NAME_TOKEN = re.compile(r"[^-_]+")


def model_from_file_name(stem: str) -> str | None:
    """The model named in a result file's name, when a part of it looks like one; else None.

    The name is cut at ``-`` and ``_``. A model starts at the first part that is a
    model family (``gpt-<version>``, ``gpt4o``, ``o1`` / ``o3`` / ``o4``, ``claude``,
    ``gemini``, ``gemma``, ``llama``, ``mistral``, ``mixtral``, ``codestral``,
    ``deepseek``, ``qwen``, ``qwq``, ``grok``, ``phi``, ``command``, ``kimi``,
    ``glm``) and takes the following parts while they are versions or sizes (a
    part with a digit: ``4o``, ``3``, ``70B``, ``20241022``, ``3.5``) or model words
    (``mini``, ``turbo``, ``sonnet``, ``pro``, ``flash``, ``instruct``, ...). It
    stops at anything else, e.g. a temperature (``0.0``: a number from 0 to 2
    with a decimal point, after the version) or a task name.

    >>> model_from_file_name("gpt-4o-airline.tasks0-14")
    'gpt-4o'
    >>> model_from_file_name("tool-calling-claude-3-5-sonnet-20241022-0.0_range_0-50_user-gpt-4o")
    'claude-3-5-sonnet-20241022'
    >>> model_from_file_name("act-Meta-Llama-3.1-70B-Instruct-0.0_range_0-10")
    'Llama-3.1-70B-Instruct'
    >>> model_from_file_name("o3-mini-2025-01-31-retail")
    'o3-mini-2025-01-31'
    >>> model_from_file_name("results-retail.tasks0-14") is None
    True
    """
    parts = list(_NAME_TOKEN.finditer(stem))
    for i, first in enumerate(parts):
        if not _MODEL_FAMILY.fullmatch(first.group()):
            continue
        end = i
        while end + 1 < len(parts) and _is_model_part(parts[end + 1].group(), end == i):
            end += 1
        if first.group().lower() == "gpt" and end == i:
            continue
        return stem[first.start() : parts[end].end()]
    return None


def _is_model_part(part: str, after_family: bool) -> bool:
    if _TEMPERATURE.fullmatch(part) and not after_family:
        return False
    return bool(_MODEL_WORD.fullmatch(part) or _VERSION_PART.fullmatch(part))


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


def convert_messages(
    messages: list[Any], file: str, lines: list[int], *, model: str | None = None
) -> EventList:
    """Turn chat messages into events; ``lines[i]`` is message i's source line.

    Keys are positional (``m<i>``, ``m<i>.call<j>``), so message i becomes the
    same events whichever list it is read from. ``model`` names the model of
    assistant messages that do not carry their own.
    """
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
            _assistant(events, msg, i, line, text, ts, pending, model)
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


def _assistant(events, msg, i, line, text, ts, pending, default_model) -> None:
    model = msg.get("model") if isinstance(msg.get("model"), str) else default_model
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
    for j, item in enumerate(calls):
        call = json_object(item, f"tool call {j + 1}")
        fn = json_object(call.get("function") or {}, f"tool call {j + 1}'s function")
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
        anthropic = anthropic_marks(text)
        if has_key(text, "tool_use") or {"tool_use_block", "tool_result_block"} & set(anthropic):
            return 0.2
        if openai_marks(text) and not anthropic:
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
            elif isinstance(value, dict) and (messages := _messages_of(value)) is not None:
                runs += 1
                yield self._run(value, runs - 1, file, options, [lineno] * len(messages))
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
            runs: list[Any] = [doc]
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
            messages = _messages_of(run) if isinstance(run, dict) else None
            if messages is None:
                yield Malformed(file=file, line=index + 1, reason="run without a message list")
                continue
            yield self._run(run, index, file, options, list(range(1, len(messages) + 1)))

    def _run(self, run, index, file, options, lines, native_id=None) -> ParseItem:
        try:
            messages = _messages_of(run) or []
            events = convert_messages(messages, file, lines)
            times = [e.timestamp for e in events.events if e.timestamp]
            task = next((e.text for e in events.events if e.role == "user"), None)
            attrs: dict[str, Any] = {"run_index": index}
            for key in ("task_id", "trial"):
                if key in run:
                    attrs[key] = run[key]
            model, agent = _model_and_agent(run, events, Path(file).stem, attrs)
            session = Session(
                native_id=native_id or _native_id(run, index, Path(file).stem),
                agent=resolve_agent(options.agent, run.get("agent"), default=agent),
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


def _model_and_agent(
    run: dict[str, Any], events: EventList, stem: str, attrs: dict[str, Any]
) -> tuple[str | None, str]:
    """The run's model and the agent name derived from it (see the module docstring).

    ``attrs["model_from"]`` is set to ``"file name"`` when the model comes from it.
    """
    candidates = (run.get("model"), dotted(run, "response.model"), dotted(run, "request.model"))
    model = next((m for m in candidates if isinstance(m, str) and m.strip()), None)
    model = model or next((e.model for e in events.events if e.model), None)
    if not ("task_id" in run and "traj" in run):
        return model, model or "unknown"
    if model is None:
        model = model_from_file_name(stem)
        if model is not None:
            attrs["model_from"] = "file name"
    return model, f"tau-bench/{model}" if model else "tau-bench"


ADAPTER = OpenAIChatAdapter()
