"""anthropic: Messages API logs built here from the API's documented shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.adapters.anthropic import ADAPTER
from reverie.adapters.base import AdapterOptions
from reverie.errors import InputError
from reverie.models import Malformed, ParsedSession

SYSTEM = "You are a careful coding agent."
USER = {"role": "user", "content": "List the files."}
TOOL_USE = {"type": "tool_use", "id": "toolu_01", "name": "bash", "input": {"command": "ls"}}
RESPONSE_1 = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-x",
    "content": [{"type": "text", "text": "Listing."}, TOOL_USE],
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 20, "output_tokens": 5, "cache_read_input_tokens": 7},
}
RESULT = {
    "role": "user",
    "content": [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_01",
            "content": "ls: cannot open",
            "is_error": True,
        }
    ],
}
RESPONSE_2 = {
    "id": "msg_02",
    "type": "message",
    "role": "assistant",
    "model": "claude-x",
    "content": [{"type": "text", "text": "It failed."}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 30, "output_tokens": 4},
}


def exchanges() -> list[dict]:
    first = {
        "request": {"model": "claude-x", "system": SYSTEM, "messages": [USER]},
        "response": RESPONSE_1,
    }
    resent = [USER, {"role": "assistant", "content": RESPONSE_1["content"]}, RESULT]
    second = {
        "request": {"model": "claude-x", "system": SYSTEM, "messages": resent},
        "response": RESPONSE_2,
    }
    other = {
        "request": {"model": "claude-x", "messages": [{"role": "user", "content": "hi"}]},
        "response": {**RESPONSE_2, "id": "msg_03"},
    }
    return [first, second, other]


def parse(path: Path) -> list:
    return list(ADAPTER.parse(path, AdapterOptions()))


def test_request_response_jsonl(tmp_path: Path) -> None:
    records = exchanges()
    path = tmp_path / "api.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert ADAPTER.sniff(path, path.read_bytes()) >= 0.5
    convo, other = parse(path)
    kinds = [(e.kind, e.trust) for e in convo.events]
    assert kinds == [
        ("message", "operator"),
        ("message", "user"),
        ("message", "agent"),
        ("tool_call", "agent"),
        ("tool_result", "tool"),
        ("message", "agent"),
    ]
    call, result = convo.events[3], convo.events[4]
    assert call.call_id == result.call_id == "toolu_01" and result.tool == "bash"
    assert result.is_error and call.tool_input == {"command": "ls"}
    assert convo.events[2].usage.cache_read_tokens == 7
    assert convo.session.native_id == "msg_01" and convo.session.model == "claude-x"
    assert [e.source.line for e in convo.events] == [1, 1, 1, 1, 2, 2]
    assert other.session.native_id == "msg_03" and len(other.events) == 2


def test_json_document_of_messages_and_bad_records(tmp_path: Path) -> None:
    path = tmp_path / "conv.json"
    messages = [USER, {"role": "assistant", "content": RESPONSE_1["content"]}, RESULT]
    path.write_text(json.dumps({"model": "claude-x", "messages": messages}))
    (session,) = parse(path)
    assert sum(e.kind == "tool_call" for e in session.events) == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"model": "m", "messages": [USER]}, {"messages": "nope"}, 5]))
    items = parse(bad)
    assert [i.line for i in items if isinstance(i, Malformed)] == [2, 3]
    assert sum(isinstance(i, ParsedSession) for i in items) == 1


def test_api_error_response_and_not_anthropic(tmp_path: Path) -> None:
    path = tmp_path / "err.jsonl"
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    path.write_text(
        json.dumps({"request": {"messages": [USER]}, "response": error})
        + "\n"
        + json.dumps(USER)
        + "\n"
    )
    (session,) = parse(path)
    assert any(e.is_error and "Overloaded" in e.text for e in session.events)
    nothing = tmp_path / "empty.json"
    nothing.write_text("[]")
    with pytest.raises(InputError):
        parse(nothing)


def test_a_request_model_that_is_not_a_string_is_ignored(tmp_path: Path) -> None:
    """Found by the mutation test: a number in `request.model` must not escape as an error."""
    record = {**exchanges()[2], "request": {"model": -1, "messages": [USER]}}
    record["response"] = {**record["response"], "model": None}
    path = tmp_path / "api.jsonl"
    path.write_text(json.dumps(record) + "\n")
    (session,) = parse(path)
    assert session.session.model is None and session.events


def test_agent_is_the_model_else_unknown(tmp_path: Path) -> None:
    """Never the format's name: the response's model, else the request's, else ``unknown``."""
    first = exchanges()[0]
    bare = {"request": {"messages": [USER]}, "response": {**RESPONSE_2, "id": "m9", "model": None}}
    from_request = {"request": {"model": "claude-y", "messages": [USER]}}
    path = tmp_path / "api.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (first, bare, from_request)) + "\n")
    named = [(s.session.agent, s.session.model) for s in parse(path)]
    assert named == [("claude-x", "claude-x"), ("unknown", None), ("claude-y", "claude-y")]
