"""SWE-agent ``.traj`` files, both the 0.x layout and the 1.x (function-calling) layout.

One JSON document per run: ``{environment, trajectory[], history[], info}``.
Events: the system prompt and the task (the first non-demonstration messages
of ``history``, source line = 1-based ``history`` index), then for each
``trajectory`` step an assistant message (the thought), a ``tool_call`` (the
action; the tool is the action's first word, e.g. ``edit``, ``find_file``,
``python``) and a ``tool_result`` (the observation); their source line is the
1-based step index in ``trajectory``. Demonstration messages (``is_demo``) are
left out.

Errors are SWE-agent's own notices in an observation: a rejected edit ("Your
proposed edit has introduced new syntax error(s)"), "command not found",
"No such file or directory", and lines starting with ``Error`` or ``Usage:``.
Token totals and cost from ``info.model_stats`` go to ``Session.attrs["usage"]``.
Outcome: a SWE-bench report next to the trajectory (see
:mod:`reverie.adapters.swebench`); else ``info.exit_status`` as detail only.
Native id: the instance id (the file name). Every model and every rerun
reuses it, so the session key also holds the agent and a fingerprint of the
run (see :mod:`reverie.ingest.provenance`); the run folder's name is in ``attrs``.
Agent: ``swe-agent/<model>``, the model read from the data: ``replay_config``
(1.x), the run folder's ``metadata.yaml`` (``name: SWE-agent + <model>``) or
``args.yaml``, else the run folder's name (``<date>_SWE-agent_<model>``, or
``<model>__<dataset>__...`` as SWE-agent 0.x names it); a trajectory that made
no API call is a ``replay``. The run folder is the parent of ``trajs/`` when
the file is in one, else the file's folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from reverie.adapters._common import (
    SHAPE_ERRORS,
    EventList,
    as_text,
    has_key,
    head_text,
    json_object,
    list_field,
    load_json_document,
    object_field,
    parse_json_arg,
    resolve_agent,
    to_float,
    to_int,
    tool_trust,
)
from reverie.adapters._reading import read_neighbour
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.adapters.swebench import find_verdict
from reverie.errors import InputError
from reverie.models import Malformed, Outcome, ParsedSession, Session, SourceRef

__all__ = ["ADAPTER", "SCAFFOLD_ERROR", "SweAgentAdapter"]

SCAFFOLD_ERROR = re.compile(
    r"Your proposed edit has introduced new syntax error|command not found"
    r"|No such file or directory|^(Error|ERROR)\b|^Usage: ",
    re.M,
)


# a published run's folder: `20240825_SWE-agent_gpt-4o-2024-05-13` (SWE-bench and
# Multi-SWE-bench experiments name them `<date>_<scaffold>_<model>`)
_RUN_FOLDER = re.compile(r"^\d{8}_(?:swe-?agent)_(?P<model>[^/]+)$", re.I)


def _run_folder(path: Path) -> Path:
    """The folder of one run: the parent of ``trajs/`` when there is one, else the file's."""
    return path.parent.parent if path.parent.name == "trajs" else path.parent


@lru_cache(maxsize=256)
def _declared_model(folder: Path) -> str | None:
    """The model a run folder declares: ``metadata.yaml`` (``name: SWE-agent + <model>``,
    as Multi-SWE-bench publishes runs) or ``args.yaml`` (``agent.model.model_name``,
    written by SWE-agent 0.x)."""
    for name in ("metadata.yaml", "args.yaml"):
        raw = read_neighbour(folder / name)
        try:
            data = yaml.safe_load(raw.decode("utf-8")) if raw is not None else None
        except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
            continue
        if not isinstance(data, dict):
            continue
        model = ((data.get("agent") or {}).get("model") or {}).get("model_name")
        if isinstance(model, str) and model.strip():
            return model.strip()
        label = data.get("name")
        if isinstance(label, str) and "+" in label:
            return label.split("+", 1)[1].strip() or None
    return None


def _model(doc: dict[str, Any], path: Path) -> str | None:
    """The model, from the data: the 1.x replay config, the run folder's metadata or args,
    then the run folder's name (``<date>_SWE-agent_<model>``, or 0.x's
    ``<model>__<dataset>__...``); a trajectory that made no API call is a ``replay``."""
    config = doc.get("replay_config")
    if isinstance(config, str):
        config = parse_json_arg(config)
    if isinstance(config, dict):
        agent = json_object(config.get("agent") or {}, "replay_config.agent")
        model = json_object(agent.get("model") or {}, "replay_config.agent.model").get("name")
        if isinstance(model, str) and model:
            return model
    for folder in dict.fromkeys((path.parent, _run_folder(path))):
        declared = _declared_model(folder)
        if declared:
            return declared
        named = _RUN_FOLDER.search(folder.name)
        if named:
            return named["model"]
        parts = folder.name.split("__")
        if len(parts) >= 3:
            return parts[0]
    info = object_field(doc, "info")
    stats = object_field(info, "model_stats")
    if stats and to_int(stats.get("api_calls")) == 0:
        return "replay"
    return None


def _preamble(events: EventList, history: list[Any]) -> str | None:
    task = None
    for i, msg in enumerate(history):
        if not isinstance(msg, dict) or msg.get("is_demo"):
            continue
        role = msg.get("role")
        if role == "system":
            events.add(
                "message",
                "operator",
                i + 1,
                f"h{i}",
                role="system",
                text=as_text(msg.get("content")),
            )
        elif role == "user":
            task = as_text(msg.get("content"))
            events.add("message", "user", i + 1, f"h{i}", role="user", text=task)
            break
        else:
            break
    return task


def _call_inputs(history: list[Any]) -> list[tuple[str | None, Any, str | None]]:
    """(function name, arguments, call id) of each 1.x assistant action, in order."""
    calls = []
    for msg in history:
        if isinstance(msg, dict) and msg.get("role") == "assistant" and msg.get("tool_calls"):
            call = json_object(msg["tool_calls"][0], "a tool call")
            fn = json_object(call.get("function") or {}, "a tool call's function")
            calls.append((fn.get("name"), parse_json_arg(fn.get("arguments")), call.get("id")))
    return calls


def _steps(events: EventList, trajectory: list[Any], calls: list) -> None:
    for i, item in enumerate(trajectory):
        line = i + 1
        step = json_object(item, f"trajectory step {line}")
        action = as_text(step.get("action")).strip()
        thought = as_text(step.get("thought") or step.get("response"))
        if thought:
            events.add("message", "agent", line, f"t{i}.thought", role="assistant", text=thought)
        fn, args, call_id = calls[i] if len(calls) == len(trajectory) else (None, None, None)
        tool = fn or (action.split(None, 1)[0] if action else "none")
        call_id = str(call_id or f"t{i}")
        events.add(
            "tool_call",
            "agent",
            line,
            f"t{i}.action",
            tool=tool,
            call_id=call_id,
            tool_input=args if isinstance(args, dict) else {"command": action},
        )
        observation = as_text(step.get("observation"))
        attrs = {}
        if step.get("execution_time") is not None:
            attrs["execution_time"] = to_float(step.get("execution_time"))
        events.add(
            "tool_result",
            tool_trust(tool),
            line,
            f"t{i}.observation",
            tool=tool,
            call_id=call_id,
            text=observation,
            is_error=bool(SCAFFOLD_ERROR.search(observation)),
            attrs=attrs,
        )


class SweAgentAdapter:
    """Reads SWE-agent trajectories (0.x and 1.x)."""

    name = "swe-agent"
    description = "SWE-agent .traj (0.x and 1.x layouts)"

    def sniff(self, path: Path, head: bytes) -> float:
        text = head_text(head)
        if not has_key(text, "trajectory"):
            return 0.0
        if has_key(text, "trajectory_format"):
            return 0.0
        if has_key(text, "environment") or re.search(r'"(action|observation|thought)"\s*:', text):
            return 0.95
        return 0.5

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        file = str(path)
        doc = load_json_document(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("trajectory"), list):
            raise InputError("not a SWE-agent trajectory: no 'trajectory' list", file)
        try:
            yield self._session(doc, path, options)
        except SHAPE_ERRORS as exc:
            yield Malformed(file=file, line=1, reason=f"unexpected trajectory shape: {exc}")

    def _session(self, doc: dict[str, Any], path: Path, options: AdapterOptions):
        file = str(path)
        history = list_field(doc, "history")
        events = EventList(file)
        task = _preamble(events, history)
        _steps(events, doc["trajectory"], _call_inputs(history))
        info = object_field(doc, "info")
        stats = object_field(info, "model_stats")
        model = _model(doc, path)
        instance = path.name.split(".traj")[0]
        run = _run_folder(path).name
        session = Session(
            native_id=instance,
            agent=resolve_agent(options.agent, default=f"swe-agent/{model or run}"),
            format=self.name,
            source_file=file,
            task=task,
            model=model,
            attrs={
                "instance_id": instance,
                "run": run,
                "exit_status": info.get("exit_status"),
                "environment": doc.get("environment")
                if isinstance(doc.get("environment"), str)
                else None,
                "usage": {
                    "input_tokens": to_int(stats.get("tokens_sent")),
                    "output_tokens": to_int(stats.get("tokens_received")),
                    "cost_usd": to_float(stats.get("instance_cost")),
                    "api_calls": to_int(stats.get("api_calls")),
                },
            },
        )
        verdict = find_verdict(path, instance)
        if verdict is not None:
            outcome = Outcome(
                success=verdict.success,
                detail=verdict.detail,
                source=SourceRef(file=verdict.report, line=0),
            )
        elif info.get("exit_status"):
            outcome = Outcome(success=None, detail=f"exit_status={info['exit_status']}")
        else:
            outcome = None
        return ParsedSession(session=session, events=events.events, outcome=outcome)


ADAPTER = SweAgentAdapter()
