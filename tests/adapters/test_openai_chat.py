"""openai-chat: tau-bench's 60 runs, counted from the raw JSON, and small fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.adapters.base import AdapterOptions
from reverie.adapters.openai_chat import ADAPTER, model_from_file_name
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
    assert parse(real_data / TAU, agent="mine")[0].session.agent == "mine"


def test_tau_bench_model_comes_from_the_file_name(real_data: Path) -> None:
    """The runs name no model; tau-bench names its result file after it (``gpt-4o-...``)."""
    path = real_data / TAU
    runs = json.loads(path.read_text())
    assert not any("model" in run for run in runs)
    model = path.name.split("-airline")[0]
    sessions = parse(path)
    assert {s.session.model for s in sessions} == {model} == {"gpt-4o"}
    assert {s.session.agent for s in sessions} == {f"tau-bench/{model}"}
    assert all(s.session.attrs["model_from"] == "file name" for s in sessions)


@pytest.mark.parametrize(
    ("stem", "model"),
    [
        ("tool-calling-gpt-4o-0.0_range_0-50_user-gpt-4o-llm_0822140411", "gpt-4o"),
        (
            "react-claude-3-5-sonnet-20241022-0.0_range_0-115_user-gpt-4o-llm",
            "claude-3-5-sonnet-20241022",
        ),
        ("tool-calling-gpt-4o-2024-08-06-1.0_range_0-50", "gpt-4o-2024-08-06"),
        ("act-gemini-1.5-pro-0.0_range_0-10_user-gpt-4o-llm", "gemini-1.5-pro"),
        ("tool-calling-Qwen2.5-72B-Instruct-0.0_range_0-10", "Qwen2.5-72B-Instruct"),
        ("few-shot-o1-mini-0.0_range_0-5", "o1-mini"),
        ("tool-calling-gpt-airline", None),
        ("airline.tasks0-14", None),
    ],
)
def test_model_from_file_name(stem: str, model: str | None) -> None:
    assert model_from_file_name(stem) == model


def test_tau_bench_run_without_a_model_in_its_name_is_plain_tau_bench(tmp_path: Path) -> None:
    run = {
        "task_id": 0,
        "trial": 0,
        "reward": 1.0,
        "info": {},
        "traj": [{"role": "user", "content": "hi"}],
    }
    path = tmp_path / "results-airline.json"
    path.write_text(json.dumps([run, {**run, "model": "gpt-4o-mini"}]))
    plain, named = parse(path)
    assert (plain.session.agent, plain.session.model) == ("tau-bench", None)
    assert "model_from" not in plain.session.attrs
    assert (named.session.agent, named.session.model) == ("tau-bench/gpt-4o-mini", "gpt-4o-mini")


def test_chat_agent_is_the_model_never_the_format(tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    rows = [
        {"id": "a", "messages": messages},
        {"id": "b", "messages": messages, "response": {"model": "gpt-4.1-2025-04-14"}},
        {"id": "c", "messages": messages, "request": {"model": "o3-mini"}, "agent": "my-bot"},
    ]
    path = tmp_path / "chats.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    named = [(s.session.agent, s.session.model) for s in parse(path)]
    assert named == [
        ("unknown", None),
        ("gpt-4.1-2025-04-14", "gpt-4.1-2025-04-14"),
        ("my-bot", "o3-mini"),
    ]


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
