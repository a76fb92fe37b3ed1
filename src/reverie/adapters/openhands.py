"""OpenHands event streams, in the three generations found in the wild.

* ``output.jsonl`` of an evaluation: one run per line (``instance_id`` or
  ``id``, ``instruction``, ``metadata``, ``history``, ``metrics``, ``error``,
  ``test_result``), where ``history`` is a list of events, or (oldest) a list
  of ``[action, observation]`` pairs, or (resolver) flat events without
  ``id`` / ``source`` whose fields sit at the top level;
* a replay file: a bare JSON array of events (one session per file).

An event has ``action`` + ``args`` or ``observation`` + ``content`` + ``extras``;
``cause`` names the action an observation answers. Tool actions (``run``,
``run_ipython``, ``read``, ``edit``, ``browse``...) become ``tool_call`` events
named by the action, their observations ``tool_result`` events (``exit_code``
from ``extras.metadata.exit_code`` or ``exit_code``; ``browse`` output is
``external``). An ``error`` observation (ErrorObservation) is an error result
of the call it answers (named by that call's tool).
Bookkeeping events (``recall``, agent state changes, ``null`` observations)
are skipped. Source lines: the JSONL line of the run, or the 1-based index in
a replay array.

Native id: the instance id (every model reuses it; the session key adds the
agent and a fingerprint of the run, see :mod:`reverie.ingest.provenance`). Agent:
``openhands/<agent class>/<model>`` from the run's or its folder's metadata
(the folder's name when neither is known). Outcome:
``test_result.result`` / ``test_result.resolved`` /
``test_result.report.resolved`` or the resolver's ``success``. The run's
``error`` is kept in ``Session.attrs["error"]``.
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
    is_jsonl,
    iter_json_lines,
    json_object,
    load_json_document,
    object_field,
    parse_time,
    read_sample,
    resolve_agent,
    to_float,
    to_int,
    tool_trust,
)
from reverie.adapters._reading import decode, read_neighbour
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.errors import InputError
from reverie.models import Malformed, Outcome, ParsedSession, Session, Usage

__all__ = ["ADAPTER", "OpenHandsAdapter"]

SKIP_ACTIONS = {"recall", "change_agent_state", "null"}
SKIP_OBSERVATIONS = {"null", "agent_state_changed", "recall", "think"}
MESSAGE_ACTIONS = {"message", "system", "think", "finish", "reject"}
_META_FIELDS = {
    "id",
    "timestamp",
    "source",
    "message",
    "action",
    "args",
    "observation",
    "cause",
    "tool_call_metadata",
    "llm_metrics",
    "thought",
    "keep_prompt",
    "is_confirmed",
    "action_risk",
    "security_risk",
    "extras",
    "content",
    "hidden",
}


def _flatten(history: list[Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for item in history:
        for event in item if isinstance(item, list) else [item]:
            if not isinstance(event, dict):
                raise TypeError("history entry is not an event object")
            events.append(event)
    return events


def _usage(event: dict[str, Any], seen: set[str]) -> tuple[Usage | None, str | None]:
    meta = json_object(event.get("tool_call_metadata") or {}, "tool_call_metadata")
    response = json_object(meta.get("model_response") or {}, "tool_call_metadata.model_response")
    model = response.get("model") if isinstance(response.get("model"), str) else None
    raw = response.get("usage")
    rid = str(response.get("id"))
    if not isinstance(raw, dict) or rid in seen:
        return None, model
    seen.add(rid)
    return Usage(
        input_tokens=to_int(raw.get("prompt_tokens")) or 0,
        output_tokens=to_int(raw.get("completion_tokens")) or 0,
    ), model


class _Converter:
    """Turns one run's events into Reverie events, pairing observations with actions."""

    def __init__(self, file: str, lines: list[int]):
        self.events = EventList(file)
        self.lines = lines
        self.open_calls: list[str] = []
        self.by_native: dict[str, str] = {}
        self.call_tools: dict[str, str] = {}
        self.seen_responses: set[str] = set()
        self.acted = False

    def run(self, history: list[dict[str, Any]]) -> EventList:
        for i, event in enumerate(history):
            if "action" in event:
                self._action(i, event)
            elif "observation" in event:
                self._observation(i, event)
        return self.events

    def _action(self, i: int, e: dict[str, Any]) -> None:
        action, line, ts = str(e["action"]), self.lines[i], parse_time(e.get("timestamp"))
        args = object_field(e, "args")
        source = e.get("source") or ("agent" if self.acted or action != "message" else "user")
        key = f"e{e['id']}" if "id" in e else f"h{i}"
        if action in SKIP_ACTIONS:
            return
        usage, model = _usage(e, self.seen_responses)
        thought = as_text(args.get("thought") or e.get("thought"))
        if action in MESSAGE_ACTIONS:
            text = as_text(
                args.get("content")
                or e.get("content")
                or args.get("final_thought")
                or thought
                or e.get("message")
            )
            if action == "system":
                self.events.add(
                    "message", "operator", line, key, role="system", text=text, timestamp=ts
                )
            elif source == "user":
                self.events.add("message", "user", line, key, role="user", text=text, timestamp=ts)
            else:
                self.acted = True
                self.events.add(
                    "message",
                    "agent",
                    line,
                    key,
                    role="assistant",
                    text=text,
                    timestamp=ts,
                    model=model,
                    usage=usage,
                    attrs={"action": action},
                )
            return
        self.acted = True
        if thought:
            self.events.add(
                "message",
                "agent",
                line,
                f"{key}.thought",
                role="assistant",
                text=thought,
                timestamp=ts,
                model=model,
                usage=usage,
            )
            usage = None
        meta = e.get("tool_call_metadata") or {}
        call_id = str(meta.get("tool_call_id") or key)
        tool_input = {k: v for k, v in {**e, **args}.items() if k not in _META_FIELDS}
        self.events.add(
            "tool_call",
            "agent",
            line,
            key,
            tool=action,
            call_id=call_id,
            tool_input=tool_input,
            timestamp=ts,
            model=model,
            usage=usage,
        )
        self.open_calls.append(call_id)
        self.call_tools[call_id] = action
        if "id" in e:
            self.by_native[str(e["id"])] = call_id

    def _observation(self, i: int, e: dict[str, Any]) -> None:
        kind, line = str(e["observation"]), self.lines[i]
        if kind in SKIP_OBSERVATIONS:
            return
        meta = json_object(e.get("tool_call_metadata") or {}, "tool_call_metadata")
        call_id = meta.get("tool_call_id") or self.by_native.get(str(e.get("cause")))
        if call_id is None and "id" not in e and self.open_calls:
            call_id = self.open_calls[-1]
        if call_id in self.open_calls:
            self.open_calls.remove(call_id)
        extras = object_field(e, "extras")
        metadata = object_field(extras, "metadata")
        exit_code = to_int(metadata.get("exit_code", extras.get("exit_code", e.get("exit_code"))))
        is_error = kind == "error" or exit_code not in (None, 0)
        key = f"e{e['id']}" if "id" in e else f"h{i}"
        # an ErrorObservation answers a call: it is that tool's result, not a tool "error"
        tool = self.call_tools.get(call_id or "", kind) if kind == "error" else kind
        self.events.add(
            "tool_result",
            tool_trust(tool),
            line,
            key,
            tool=tool,
            call_id=call_id,
            text=as_text(e.get("content")),
            exit_code=exit_code,
            is_error=is_error,
            timestamp=parse_time(e.get("timestamp")),
            flags=["scaffold_error"] if kind == "error" else [],
        )


def _folder_metadata(file: str) -> dict[str, Any]:
    """The evaluation folder's ``metadata.json`` (agent class, model), when there is one."""
    raw = read_neighbour(Path(file).parent / "metadata.json")
    try:
        data = decode(raw) if raw is not None else None
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        "agent_class": data.get("agent_class") or data.get("Agent class"),
        "model_name": data.get("model_name") or data.get("Model name"),
    }


def _outcome(run: dict[str, Any]) -> Outcome | None:
    result = run.get("test_result")
    if isinstance(result, dict):
        report = object_field(result, "report")
        for value in (result.get("result"), result.get("resolved"), report.get("resolved")):
            if isinstance(value, bool):
                return Outcome(success=value, detail=f"test_result={value}")
    if isinstance(run.get("success"), bool):
        return Outcome(success=run["success"], detail=f"success={run['success']}")
    return None


def _native_id(run: dict[str, Any], fallback: str) -> str:
    for key in ("instance_id", "id"):
        if isinstance(run.get(key), str | int) and not isinstance(run.get(key), bool):
            return str(run[key])
    issue = run.get("issue")
    if isinstance(issue, dict) and issue.get("number") is not None:
        return f"{issue.get('owner')}/{issue.get('repo')}#{issue.get('number')}"
    return fallback


def _agent_name(agent_class: str | None, model: str | None, file: str) -> str:
    """``openhands/<agent class>/<model>`` from the data; the folder names a run with neither."""
    parts = [p for p in (agent_class, model.rsplit("/", 1)[-1] if model else None) if p]
    return "openhands/" + "/".join(parts or [Path(file).parent.name])


class OpenHandsAdapter:
    """Reads OpenHands evaluation outputs and replay event arrays."""

    name = "openhands"
    description = "OpenHands event streams (output.jsonl runs, action/observation pairs, replays)"

    def sniff(self, path: Path, head: bytes) -> float:
        text = read_sample(path, head)
        if has_key(text, "reverie"):
            return 0.0
        event = re.search(r'"(action|observation)"\s*:\s*"[a-z_]+"', text) and re.search(
            r'"source"\s*:\s*"(agent|user|environment)"', text
        )
        if event or has_key(text, "agent_class"):
            return 0.9
        if has_key(text, "test_result") or (
            has_key(text, "instruction") and has_key(text, "history")
        ):
            return 0.85
        if has_key(text, "observation") and has_key(text, "action"):
            return 0.5
        return 0.0

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        file = str(path)
        if is_jsonl(path):
            found = False
            for lineno, run, error in iter_json_lines(path):
                if error:
                    yield Malformed(file=file, line=lineno, reason=error)
                    continue
                found = True
                yield self._run(run, file, [lineno], options, fallback=f"line-{lineno}")
            if not found:
                raise InputError("no OpenHands runs found", file)
            return
        doc = load_json_document(path)
        if isinstance(doc, list):
            yield self._run({"history": doc}, file, None, options, fallback=path.stem)
        elif isinstance(doc, dict) and isinstance(doc.get("history"), list):
            yield self._run(doc, file, [1], options, fallback=path.stem)
        else:
            raise InputError("not an OpenHands event stream: no event list or 'history'", file)

    def _run(self, run, file, line, options, fallback) -> ParseItem:
        where = line[0] if line else 1
        try:
            if not isinstance(run, dict) or not isinstance(run.get("history"), list):
                raise TypeError("run without a 'history' list")
            history = _flatten(run["history"])
            lines = line * len(history) if line else list(range(1, len(history) + 1))
            events = _Converter(file, lines).run(history)
            return self._session(run, file, events, options, fallback)
        except SHAPE_ERRORS as exc:
            return Malformed(file=file, line=where, reason=f"not an OpenHands run: {exc}")

    def _session(self, run, file, events: EventList, options, fallback) -> ParsedSession:
        meta = object_field(run, "metadata")
        if not meta.get("agent_class"):
            meta = {**_folder_metadata(file), **meta}
        llm = object_field(meta, "llm_config")
        model = llm.get("model") or meta.get("model_name")
        model = model if isinstance(model, str) else None
        model = model or next((e.model for e in events.events if e.model), None)
        agent_class = meta.get("agent_class") if isinstance(meta.get("agent_class"), str) else None
        task = run.get("instruction") if isinstance(run.get("instruction"), str) else None
        task = task or next((e.text for e in events.events if e.role == "user"), None)
        times = [e.timestamp for e in events.events if e.timestamp]
        metrics = object_field(run, "metrics")
        tokens = metrics.get("accumulated_token_usage")
        tokens = tokens if isinstance(tokens, dict) else {}
        attrs: dict[str, Any] = {
            "error": run.get("error") if isinstance(run.get("error"), str) else None,
            "usage": {
                "input_tokens": to_int(tokens.get("prompt_tokens")),
                "output_tokens": to_int(tokens.get("completion_tokens")),
                "cost_usd": to_float(metrics.get("accumulated_cost")),
            },
        }
        session = Session(
            native_id=_native_id(run, fallback),
            agent=resolve_agent(options.agent, default=_agent_name(agent_class, model, file)),
            format=self.name,
            source_file=file,
            task=task,
            model=model,
            started_at=min(times) if times else None,
            ended_at=max(times) if times else None,
            attrs=attrs,
        )
        return ParsedSession(session=session, events=events.events, outcome=_outcome(run))


ADAPTER = OpenHandsAdapter()
