"""openai-chat: tau-bench's 60 runs, counted from the raw JSON, and small fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.adapters.base import AdapterOptions
from reverie.adapters.openai_chat import ADAPTER
from reverie.errors import InputError
from reverie.models import Malformed, ParsedSession

TAU = "tau_bench/gpt-4o-airline.tasks0-14.json"


def parse(path: Path, **options) -> list:
    return list(ADAPTER.parse(path, AdapterOptions(**options)))


def test_tau_bench_counts_and_rewards(real_data: Path) -> None:
    path = real_data / TAU
    runs = json.loads(path.read_text())
    items = parse(path)
    sessions = [i for i in items if isinstance(i, ParsedSession)]
    assert len(sessions) == len(runs) == 60
    messages = [m for r in runs for m in r["traj"]]
    calls = sum(len(m.get("tool_calls") or []) for m in messages)
    errors = sum(1 for m in messages if m["role"] == "tool" and m["content"].startswith("Error"))
    events = [e for s in sessions for e in s.events]
    assert sum(e.kind == "tool_call" for e in events) == calls
    results = sum(m["role"] == "tool" for m in messages)
    assert sum(e.kind == "tool_result" for e in events) == results
    assert sum(e.is_error for e in events) == errors
    for run, parsed in zip(runs, sessions, strict=True):
        assert parsed.session.native_id == f"{path.stem}/task-{run['task_id']}-trial-{run['trial']}"
        assert parsed.outcome is not None and parsed.outcome.reward == run["reward"]
        assert parsed.outcome.success is (run["reward"] >= 1)
    assert sum(s.outcome.success for s in sessions) == sum(r["reward"] >= 1 for r in runs)


def test_tau_bench_pairs_and_trust(real_data: Path) -> None:
    session = parse(real_data / TAU)[0]
    calls = {e.call_id: e for e in session.events if e.kind == "tool_call"}
    results = [e for e in session.events if e.kind == "tool_result"]
    assert results and all(r.call_id in calls for r in results)
    assert len(calls) == sum(e.kind == "tool_call" for e in session.events)  # ids unique
    assert all(r.tool == calls[r.call_id].tool for r in results)
    trusts = {e.role: e.trust for e in session.events if e.kind == "message"}
    assert trusts == {"system": "operator", "user": "user", "assistant": "agent"}
    assert len({e.key for e in session.events}) == len(session.events)
    assert session.session.agent == "tau-bench"
    assert parse(real_data / TAU, agent="mine")[0].session.agent == "mine"


def test_jsonl_of_conversations_and_single_messages(tmp_path: Path) -> None:
    conv = {
        "id": "c1",
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "t1",
                        "type": "function",
                        "function": {"name": "web_fetch", "arguments": '{"url": "x"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "t1", "content": "page"},
        ],
    }
    path = tmp_path / "convs.jsonl"
    path.write_text(json.dumps(conv) + "\n" + json.dumps({**conv, "id": "c2"}) + "\nnot json\n")
    items = parse(path)
    sessions = [i for i in items if isinstance(i, ParsedSession)]
    assert [s.session.native_id for s in sessions] == ["c1", "c2"]
    assert [i.line for i in items if isinstance(i, Malformed)] == [3]
    call, result = sessions[0].events[1:]
    assert call.tool_input == {"url": "x"} and result.trust == "external"
    assert sessions[0].session.model == "gpt-4o"

    single = tmp_path / "msgs.jsonl"
    single.write_text("\n".join(json.dumps(m) for m in conv["messages"]) + "\n")
    (session,) = parse(single)
    assert [e.source.line for e in session.events] == [1, 2, 3]


def test_not_openai_chat_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"spans": []}))
    with pytest.raises(InputError):
        parse(path)
