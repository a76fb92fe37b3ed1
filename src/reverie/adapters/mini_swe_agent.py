"""mini-swe-agent trajectories (``*.traj.json``, ``trajectory_format: mini-swe-agent-1``).

One JSON document per run: ``{instance_id, trajectory_format, messages[], info}``.
An assistant message carries its action as a fenced ``bash`` block; the next
user message is that action's observation (``<returncode>N</returncode>``
followed by ``<output>``), so it becomes a ``tool_result`` with the exit code.
A user message after an assistant message without an action is the scaffold's
format-error notice (an error result with no call). Source lines are the
1-based index of the message in ``messages``.

Native id: the instance id (every model reuses it; the session key adds the
agent and a fingerprint of the run, see :mod:`reverie.ingest.provenance`). Agent:
``mini-swe-agent/<model>``. Outcome: ``report.json`` (SWE-bench harness, ``resolved``) looked up in
``../../logs/<instance_id>/report.json`` relative to the trajectory and next to
it; also ``results.json`` with a ``resolved`` list of instance ids.
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
    json_object,
    load_json_document,
    object_field,
    read_sample,
    resolve_agent,
    to_float,
    to_int,
)
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.adapters.swebench import find_verdict
from reverie.errors import InputError
from reverie.models import Malformed, Outcome, ParsedSession, Session, SourceRef, Usage

__all__ = ["ADAPTER", "MiniSweAgentAdapter"]

_ACTION = re.compile(r"```(?:bash|sh)?[ \t]*\n(.*?)\n?```", re.S)
_RETURNCODE = re.compile(r"<returncode>\s*(-?\d+)\s*</returncode>")
_OUTPUT = re.compile(r"<output>\n?(.*?)\n?</output>", re.S)


def _usage(msg: dict[str, Any]) -> tuple[Usage | None, str | None]:
    extra = json_object(msg.get("extra") or {}, "a message's extra")
    response = json_object(extra.get("response") or {}, "extra.response")
    model = response.get("model") if isinstance(response.get("model"), str) else None
    raw = response.get("usage")
    if not isinstance(raw, dict):
        return None, model
    details = json_object(raw.get("prompt_tokens_details") or {}, "usage.prompt_tokens_details")
    return Usage(
        input_tokens=to_int(raw.get("prompt_tokens")) or 0,
        output_tokens=to_int(raw.get("completion_tokens")) or 0,
        cache_read_tokens=to_int(details.get("cached_tokens")) or 0,
        cost_usd=to_float(raw.get("cost")),
    ), model


def _convert(messages: list[Any], file: str) -> EventList:
    events = EventList(file)
    open_call: str | None = None
    for i, msg in enumerate(messages):
        line = i + 1
        role = msg["role"]
        text = as_text(msg.get("content"))
        if role == "system":
            events.add("message", "operator", line, f"m{i}", role="system", text=text)
        elif role == "assistant":
            usage, model = _usage(msg)
            events.add(
                "message",
                "agent",
                line,
                f"m{i}",
                role="assistant",
                text=text,
                usage=usage,
                model=model,
            )
            action = _ACTION.search(text)
            open_call = None
            if action:
                open_call = f"m{i}.call"
                events.add(
                    "tool_call",
                    "agent",
                    line,
                    open_call,
                    tool="bash",
                    tool_input={"command": action.group(1)},
                    call_id=open_call,
                    model=model,
                )
        elif role == "user" and i > 0 and messages[i - 1].get("role") == "assistant":
            _observation(events, text, line, i, open_call)
            open_call = None
        else:
            events.add("message", "user", line, f"m{i}", role="user", text=text)
    return events


def _observation(events: EventList, text: str, line: int, i: int, call: str | None) -> None:
    code_match = _RETURNCODE.search(text)
    code = int(code_match.group(1)) if code_match else None
    output = _OUTPUT.search(text)
    body = output.group(1) if output else text
    is_error = (code not in (None, 0)) or call is None
    events.add(
        "tool_result",
        "tool",
        line,
        f"m{i}",
        tool="bash",
        call_id=call,
        text=body,
        exit_code=code,
        is_error=is_error,
        flags=[] if call else ["format_error"],
    )


def _run_folder(path: Path) -> Path:
    """The run's folder: above ``trajs/<instance>/`` when the file is there, else its own."""
    if path.parent.parent.name == "trajs":
        return path.parent.parent.parent
    return path.parent


class MiniSweAgentAdapter:
    """Reads mini-swe-agent ``traj.json`` files and their SWE-bench reports."""

    name = "mini-swe-agent"
    description = "mini-swe-agent traj.json (fenced bash actions, observations as user turns)"

    def sniff(self, path: Path, head: bytes) -> float:
        text = read_sample(path, head)
        if has_key(text, "trajectory_format", "mini-swe-agent"):
            return 1.0
        if has_key(text, "mini_version"):
            return 0.9
        return 0.0

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        file = str(path)
        doc = load_json_document(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
            raise InputError("not a mini-swe-agent trajectory: no 'messages' list", file)
        try:
            yield self._session(doc, path, options)
        except SHAPE_ERRORS as exc:
            yield Malformed(file=file, line=1, reason=f"unexpected trajectory shape: {exc}")

    def _session(self, doc: dict[str, Any], path: Path, options: AdapterOptions):
        file = str(path)
        events = _convert(doc["messages"], file)
        info = object_field(doc, "info")
        instance = str(doc.get("instance_id") or path.name.split(".")[0])
        model = next((e.model for e in events.events if e.model), None)
        config = json_object(info.get("config") or {}, "info.config")
        config_model = json_object(config.get("model") or {}, "info.config.model").get("model_name")
        model = model or (config_model if isinstance(config_model, str) else None)
        short = model.rsplit("/", 1)[-1].removesuffix("-preview") if model else None
        stats = json_object(info.get("model_stats") or {}, "info.model_stats")
        task = next((e.text for e in events.events if e.role == "user"), None)
        session = Session(
            native_id=instance,
            agent=resolve_agent(
                options.agent, default=f"mini-swe-agent/{short or _run_folder(path).name}"
            ),
            format=self.name,
            source_file=file,
            task=task,
            model=model,
            attrs={
                "instance_id": instance,
                "exit_status": info.get("exit_status"),
                "mini_version": info.get("mini_version"),
                "instance_cost": to_float(stats.get("instance_cost")),
                "api_calls": to_int(stats.get("api_calls")),
            },
        )
        outcome = None
        verdict = find_verdict(path, instance)
        if verdict is not None:
            outcome = Outcome(
                success=verdict.success,
                detail=verdict.detail,
                source=SourceRef(file=verdict.report, line=0),
            )
        elif info.get("exit_status"):
            outcome = Outcome(success=None, detail=f"exit_status={info['exit_status']}")
        return ParsedSession(session=session, events=events.events, outcome=outcome)


ADAPTER = MiniSweAgentAdapter()
