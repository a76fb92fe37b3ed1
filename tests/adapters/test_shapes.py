"""A value of the wrong JSON type sets its line aside with a reason; a bug in an adapter does not.

``AttributeError`` is not one of ``SHAPE_ERRORS``: adapters check a value is
an object before calling its methods, so a wrong shape is a readable
:class:`Malformed` note and an ``AttributeError`` is a bug that surfaces.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reverie.adapters import _common, openai_chat
from reverie.adapters.anthropic import ADAPTER as ANTHROPIC
from reverie.adapters.base import AdapterOptions
from reverie.adapters.claude_code import ADAPTER as CLAUDE_CODE
from reverie.adapters.mini_swe_agent import ADAPTER as MINI
from reverie.adapters.openai_chat import ADAPTER as OPENAI
from reverie.adapters.swe_agent import ADAPTER as SWE
from reverie.models import Malformed, ParsedSession


def _parse(adapter: Any, path: Path, data: Any, jsonl: bool = False) -> list[Any]:
    text = "\n".join(json.dumps(d) for d in data) + "\n" if jsonl else json.dumps(data)
    path.write_text(text)
    return list(adapter.parse(path, AdapterOptions()))


def _reasons(items: list[Any]) -> list[str]:
    return [i.reason for i in items if isinstance(i, Malformed)]


def test_attribute_error_is_not_a_shape_error() -> None:
    assert AttributeError not in _common.SHAPE_ERRORS
    assert {KeyError, TypeError, ValueError} <= set(_common.SHAPE_ERRORS)


def test_json_object_names_what_is_wrong() -> None:
    assert _common.json_object({}, "x") == {}
    for value, kind in [("s", "a string"), (3, "a number"), ([], "an array"), (None, "null"),
                        (True, "a boolean")]:
        with pytest.raises(TypeError, match=f"^usage is {kind}, not an object$"):
            _common.json_object(value, "usage")


def test_openai_tool_call_that_is_not_an_object(tmp_path: Path) -> None:
    msgs = [{"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "tool_calls": ["bash"]}]
    items = _parse(OPENAI, tmp_path / "chat.json", {"messages": msgs})
    assert _reasons(items) == ["run 1 is not a chat transcript: tool call 1 is a string, "
                               "not an object"]


def test_anthropic_content_block_that_is_not_an_object(tmp_path: Path) -> None:
    rows = [{"role": "assistant", "content": [{"type": "text", "text": "ok"}, 7]},
            {"role": "user", "content": "next"}]
    items = _parse(ANTHROPIC, tmp_path / "log.jsonl", rows, jsonl=True)
    assert any("content block 2 is a number, not an object" in r for r in _reasons(items))
    assert any(isinstance(i, ParsedSession) for i in items)


def test_mini_swe_agent_extra_that_is_not_an_object(tmp_path: Path) -> None:
    doc = {"info": {}, "messages": [{"role": "user", "content": "task"},
                                    {"role": "assistant", "content": "x", "extra": 5}]}
    items = _parse(MINI, tmp_path / "i.traj.json", doc)
    assert _reasons(items) == ["unexpected trajectory shape: a message's extra is a number, "
                               "not an object"]


def test_swe_agent_step_that_is_not_an_object(tmp_path: Path) -> None:
    doc = {"trajectory": [{"action": "ls", "observation": "a"}, "oops"], "history": []}
    items = _parse(SWE, tmp_path / "i.traj", doc)
    assert _reasons(items) == ["unexpected trajectory shape: trajectory step 2 is a string, "
                               "not an object"]


def test_claude_code_line_whose_type_is_not_a_string(tmp_path: Path) -> None:
    base = {"sessionId": "s", "timestamp": "2026-01-01T00:00:00Z", "parentUuid": None}
    rows = [
        {**base, "type": "user", "uuid": "u1", "message": {"role": "user", "content": "hi"}},
        {**base, "type": ["user"], "uuid": "u2"},
        {**base, "type": "user", "uuid": "u3", "parentUuid": ["u1"],
         "message": {"role": "user", "content": "again"}},
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert CLAUDE_CODE.sniff(path, path.read_bytes()) > 0
    items = list(CLAUDE_CODE.parse(path, AdapterOptions()))
    assert _reasons(items) == ["`type` is an array, not a string",
                               "`parentUuid` is an array, not a string or null"]


def test_a_bug_in_an_adapter_is_not_a_malformed_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise AttributeError("a bug")

    monkeypatch.setattr(openai_chat, "_assistant", broken)
    msgs = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}]
    with pytest.raises(AttributeError, match="a bug"):
        _parse(OPENAI, tmp_path / "chat.json", {"messages": msgs})
