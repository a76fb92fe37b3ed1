"""litellm: LiteLLM-style completion logs, one LLM call per record, built here.

The records follow what OpenHands writes under ``llm_completions/<instance>/``
(``{messages, response, args, kwargs, timestamp, cost}``, messages as lists of
text blocks, the empty assistant text left out when a turn is replayed) and
what a LiteLLM proxy or a logging wrapper writes (JSONL, ``{request, response}``).
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reverie.adapters._chat_evidence import completion_marks
from reverie.adapters._common import head_text, read_sample
from reverie.adapters.base import AdapterOptions
from reverie.adapters.litellm import ADAPTER
from reverie.adapters.registry import adapters, detect, read_head
from reverie.errors import InputError
from reverie.ingest.pipeline import ingest_paths
from reverie.models import Event, Malformed, ParsedSession, Usage
from reverie.settings import Settings
from reverie.store import GraphStore
from reverie.workspace import Workspace

SYSTEM = "You are OpenHands agent, a helpful AI assistant."
TASK = "Fix the failing test in utils.py."
MODEL = "claude-3-5-sonnet-20241022"
INSTANCE = "django__django-11099"
START = 1730000000.5
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "execute_bash",
            "description": "Run a bash command.",
            "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
        },
    }
]


def call(call_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(args)},
    }


# What each call answers: the response's assistant message (the second one's text is
# whitespace, which OpenHands leaves out when it sends the turn back), and its tool's output.
REPLIES: list[dict[str, Any]] = [
    {
        "content": "Let me run the tests.",
        "tool_calls": [call("toolu_01", "execute_bash", {"command": "pytest -x"})],
    },
    {
        "content": "\n",
        "tool_calls": [call("toolu_02", "str_replace_editor", {"command": "view", "path": "/r"})],
    },
    {"content": "The fix is in place.", "tool_calls": None},
]
RESULTS = [
    "E   AssertionError\n[The command completed with exit code 1.]",
    "ERROR: Invalid `path` parameter: /r does not exist.",
]


def blocks(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}]


def replayed(k: int) -> list[dict[str, Any]]:
    """Call k's response and tool results as the next request carries them."""
    reply = REPLIES[k]
    message: dict[str, Any] = {"role": "assistant"}
    if reply["content"].strip():
        message["content"] = blocks(reply["content"])
    message["tool_calls"] = reply["tool_calls"]
    results = [
        {
            "content": blocks(RESULTS[k]),
            "role": "tool",
            "tool_call_id": c["id"],
            "name": c["function"]["name"],
        }
        for c in reply["tool_calls"] or []
    ]
    return [message, *results]


def record(k: int, task: str = TASK, model: str = MODEL, **extra: Any) -> dict[str, Any]:
    """The completion log of call k (0-based) of the run."""
    messages = [
        {"content": blocks(SYSTEM), "role": "system"},
        {"content": blocks(task), "role": "user"},
    ]
    for i in range(k):
        messages += replayed(i)
    reply = REPLIES[k]
    response = {
        "id": f"chatcmpl-{k}",
        "created": int(START) + k,
        "model": model,
        "object": "chat.completion",
        "choices": [
            {
                "finish_reason": "tool_calls" if reply["tool_calls"] else "stop",
                "index": 0,
                "message": {**reply, "role": "assistant", "function_call": None},
            }
        ],
        "usage": {
            "completion_tokens": 20 + k,
            "prompt_tokens": 1000 * (k + 1),
            "total_tokens": 1000 * (k + 1) + 20 + k,
            "prompt_tokens_details": {"cached_tokens": 500 * k},
        },
    }
    base = {"messages": messages, "response": response, "args": [], "kwargs": {"tools": TOOLS}}
    return {**base, "timestamp": START + k, "cost": 0.01 * (k + 1), **extra}


def write_openhands_run(root: Path, calls: int = 3) -> list[Path]:
    """The run as OpenHands lays it out: one file per call, named after model and time."""
    folder = root / "evaluation" / "llm_completions" / INSTANCE
    folder.mkdir(parents=True)
    paths = []
    for k in range(calls):
        path = folder / f"{MODEL}-{START + k}.json"
        path.write_text(json.dumps(record(k)))
        paths.append(path)
    return paths


def parse(path: Path, **options: Any) -> list:
    return list(ADAPTER.parse(path, AdapterOptions(**options)))


def content(event: Event) -> dict[str, Any]:
    """An event without what only the response's own copy carries, or where it was read."""
    return event.model_dump(exclude={"usage", "attrs", "source"})


def test_openhands_files_are_detected_as_completion_logs(tmp_path: Path) -> None:
    for path in write_openhands_run(tmp_path):
        head = read_head(path)
        assert detect(path).name == "litellm"
        scores = {name: a.sniff(path, head) for name, a in adapters().items()}
        # the chat formats see text blocks and tool_calls; neither ties with the log
        assert scores["litellm"] == 0.95
        assert scores["openai-chat"] < scores["litellm"] and scores["anthropic"] < 0.5


def test_one_call_becomes_the_conversation_plus_the_response(tmp_path: Path) -> None:
    last = write_openhands_run(tmp_path)[2]
    (parsed,) = parse(last)
    events = parsed.events
    assert [(e.key, e.kind, e.trust) for e in events] == [
        ("m0", "message", "operator"),
        ("m1", "message", "user"),
        ("m2", "message", "agent"),
        ("m2.call0", "tool_call", "agent"),
        ("m3", "tool_result", "tool"),
        ("m4.call0", "tool_call", "agent"),
        ("m5", "tool_result", "tool"),
        ("m6", "message", "agent"),
    ]
    bash, editor = events[3], events[5]
    assert (bash.tool, bash.call_id, bash.tool_input) == (
        "execute_bash",
        "toolu_01",
        {"command": "pytest -x"},
    )
    assert (events[4].call_id, events[4].tool, events[4].exit_code) == (
        "toolu_01",
        "execute_bash",
        1,
    )
    assert not events[4].is_error
    assert (editor.tool, events[6].call_id, events[6].is_error) == (
        "str_replace_editor",
        "toolu_02",
        True,
    )
    assert events[7].text == "The fix is in place." and events[7].model == MODEL
    assert events[7].usage == Usage(
        input_tokens=3000, output_tokens=22, cache_read_tokens=1000, cost_usd=0.03
    )
    logged = datetime.fromtimestamp(START + 2, UTC)
    assert events[7].attrs == {"logged_at": logged.isoformat()}
    assert all(e.usage is None and not e.attrs for e in events[:7])
    assert all(e.timestamp is None for e in events)
    assert [e.source.line for e in events] == [1, 2, 3, 3, 4, 5, 6, 7]
    session = parsed.session
    assert (session.native_id, session.agent, session.model) == (
        INSTANCE,
        f"openhands/{MODEL}",
        MODEL,
    )
    assert session.task == TASK and session.attrs == {"instance_id": INSTANCE}
    assert parsed.snapshot  # the ingest core grows one session from a run's files
    assert session.started_at == session.ended_at == logged
    assert parse(last, agent="mine")[0].session.agent == "mine"


def test_each_call_extends_the_previous_one(tmp_path: Path) -> None:
    """What lets the ingest core grow one session from a run's files: same id, same prefix."""
    parsed = [parse(path)[0] for path in write_openhands_run(tmp_path)]
    for before, after in itertools.pairwise(parsed):
        assert before.session.native_id == after.session.native_id == INSTANCE
        assert before.session.agent == after.session.agent
        n = len(before.events)
        assert len(after.events) > n
        assert [content(e) for e in before.events] == [content(e) for e in after.events[:n]]
        # the response ends a call's events; the next call's copy lacks only usage and time
        own = [e for e in before.events if "logged_at" in e.attrs]
        assert own == before.events[n - len(own) :] and own[0].usage is not None
        assert all(e.usage is None and not e.attrs for e in after.events[n - len(own) : n])
    responses = [[e.key for e in p.events if e.usage] for p in parsed]
    assert responses == [["m2"], ["m4.call0"], ["m6"]]


@pytest.mark.parametrize("one_by_one", [False, True])
def test_a_runs_files_are_one_stored_session(
    tmp_path: Path, workspace: Settings, store: GraphStore, space: Workspace, one_by_one: bool
) -> None:
    """Ingested as a folder or file by file (in order), the three calls are one run."""
    paths = write_openhands_run(tmp_path)
    batches = [[p] for p in paths] if one_by_one else [[tmp_path]]
    for batch in batches:
        summary = ingest_paths(space, space.tenant, batch)
        assert summary.errors == [] and summary.collisions == []
    last = parse(paths[-1])[0]
    stats = store.stats(workspace.tenant)
    assert (stats.sessions, stats.events) == (1, len(last.events))
    assert ingest_paths(space, space.tenant, [tmp_path]).new_events == 0


def test_simulated_function_calling_reads_the_fncall_pair(tmp_path: Path) -> None:
    structured = record(1)
    flat_messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": TASK},
        {"role": "assistant", "content": "<function=execute_bash>pytest -x</function>"},
        {"role": "user", "content": "EXECUTION RESULT of [execute_bash]:\n" + RESULTS[0]},
    ]
    flat_response = {
        **structured["response"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "<function=x>"}}],
    }
    log = {
        "messages": flat_messages,
        "response": flat_response,
        "args": [],
        "kwargs": {},
        "timestamp": START,
        "cost": 0.0,
        "fncall_messages": structured["messages"],
        "fncall_response": structured["response"],
    }
    path = tmp_path / "llm_completions" / INSTANCE / "m.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(log))
    assert "fncall_response" in completion_marks(
        head_text(read_head(path)), read_sample(path, read_head(path))
    )
    (parsed,) = parse(path)
    assert [(e.key, e.tool) for e in parsed.events if e.kind == "tool_call"] == [
        ("m2.call0", "execute_bash"),
        ("m4.call0", "str_replace_editor"),
    ]


def test_a_log_larger_than_the_sniffed_bytes_is_known_by_its_layout(tmp_path: Path) -> None:
    """The response of a long run lies beyond the first 64 KiB and before the last 8 KiB."""
    log = record(0, task="x" * 70_000)
    tools = [{**TOOLS[0], "function": {**TOOLS[0]["function"], "description": "d" * 9000}}]
    log["kwargs"] = {"tools": tools}
    path = tmp_path / "call.json"
    path.write_text(json.dumps(log))
    head = read_head(path)
    assert b'"response"' not in head and b'"response"' not in path.read_bytes()[-8192:]
    assert completion_marks(head_text(head), read_sample(path, head)) == ["openhands_layout"]
    assert detect(path).name == "litellm"
    (parsed,) = parse(path)
    assert [e.key for e in parsed.events][-2:] == ["m2", "m2.call0"]
    assert parsed.events[-2].usage.cost_usd == 0.01


def test_proxy_jsonl_groups_calls_by_logged_session_id(tmp_path: Path) -> None:
    model = "gpt-4o-mini-2024-07-18"
    meta = {"kwargs": {"metadata": {"session_id": "sess-9"}}}
    rows = [
        record(0, model=model, **meta),
        record(1, model=model, **meta),
        record(0, task="Another task.", model=model),
    ]
    path = tmp_path / "proxy.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    assert detect(path).name == "litellm"
    items = parse(path)
    assert [i.line for i in items if isinstance(i, Malformed)] == [4]
    first, other = (i for i in items if isinstance(i, ParsedSession))
    assert first.session.native_id == "sess-9"
    assert (first.session.agent, first.session.model) == (model, model)
    assert [e.key for e in first.events] == ["m0", "m1", "m2", "m2.call0", "m3", "m4.call0"]
    assert [e.source.line for e in first.events] == [1, 1, 1, 1, 2, 2]
    assert [(e.key, e.usage.input_tokens) for e in first.events if e.usage] == [
        ("m2", 1000),
        ("m4.call0", 2000),
    ]
    assert other.session.native_id.startswith("opening:b2:")
    assert other.session.task == "Another task." and len(other.events) == 4


def test_without_a_logged_id_the_run_is_named_by_its_opening(tmp_path: Path) -> None:
    paths = []
    for name, k, task in (("a", 0, TASK), ("b", 2, TASK), ("c", 0, "Another task.")):
        path = tmp_path / name / "call.json"
        path.parent.mkdir()
        path.write_text(json.dumps(record(k, task=task)))
        paths.append(path)
    ids = [parse(p)[0].session.native_id for p in paths]
    assert ids[0] == ids[1] != ids[2]
    assert all(i.startswith("opening:b2:") and "call" not in i for i in ids)
    assert parse(paths[0])[0].session.agent == MODEL


def test_request_response_exchange_takes_the_request_model(tmp_path: Path) -> None:
    base = record(0)
    response = {k: v for k, v in base["response"].items() if k != "model"}
    exchange = {"request": {"model": "gpt-4o", "messages": base["messages"]}, "response": response}
    path = tmp_path / "exchange.json"
    path.write_text(json.dumps(exchange, indent=2))
    assert detect(path).name == "litellm"
    (parsed,) = parse(path)
    assert (parsed.session.agent, parsed.session.model) == ("gpt-4o", "gpt-4o")
    assert parsed.events[-2].usage == Usage(input_tokens=1000, output_tokens=20)


def test_bad_records_are_malformed_notes(tmp_path: Path) -> None:
    bad_choices = {**record(0), "response": {"choices": "nope"}}
    unknown_role = {**record(0), "messages": [{"role": "narrator", "content": "x"}]}
    path = tmp_path / "calls.json"
    path.write_text(json.dumps([record(0), {"messages": "nope"}, 7, bad_choices, unknown_role]))
    items = parse(path)
    assert [i.line for i in items if isinstance(i, Malformed)] == [2, 3, 4, 5]
    assert sum(isinstance(i, ParsedSession) for i in items) == 1
    not_a_log = tmp_path / "spans.json"
    not_a_log.write_text(json.dumps({"spans": []}))
    with pytest.raises(InputError):
        parse(not_a_log)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(InputError):
        parse(empty)


def test_chat_formats_decide_on_their_own_marks(tmp_path: Path) -> None:
    """Text blocks alone are in both chat formats; tool_calls are OpenAI's, tool_use Anthropic's."""
    openai = {"messages": [{"role": "user", "content": blocks(TASK)}, *replayed(0)]}
    anthropic = {
        "messages": [
            {"role": "user", "content": blocks(TASK)},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t", "name": "b", "input": {}}],
            },
        ]
    }
    for name, doc in (("openai-chat", openai), ("anthropic", anthropic)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(doc))
        assert detect(path).name == name


def test_openhands_agent_class_names_the_agent_as_the_event_stream_does(tmp_path: Path) -> None:
    run = tmp_path / "outputs" / "swe_bench" / "CodeActAgent" / "claude_maxiter_30"
    folder = run / "llm_completions" / INSTANCE
    folder.mkdir(parents=True)
    path = folder / f"{MODEL}-{START}.json"
    path.write_text(json.dumps(record(0)))
    assert parse(path)[0].session.agent == f"openhands/CodeActAgent/{MODEL}"
    (run / "metadata.json").write_text(json.dumps({"agent_class": "BrowsingAgent"}))
    assert parse(path)[0].session.agent == f"openhands/BrowsingAgent/{MODEL}"
