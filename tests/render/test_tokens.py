"""Token counts: the local estimate, and exact counts over a recorded-response transport."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from reverie.errors import LLMError
from reverie.render.records import render_workspace
from reverie.render.tokens import AnthropicCounter, LocalCounter, counter_for, estimate_tokens
from reverie.settings import Settings
from reverie.testing.llm_replay import ReplayTransport, replay_client
from reverie.workspace import Workspace

RECORDINGS = Path(__file__).parent / "recordings"
MODEL = "claude-sonnet-4-6"


def _counter(folder: Path) -> tuple[AnthropicCounter, ReplayTransport]:
    transport = ReplayTransport(folder)
    return AnthropicCounter(replay_client(transport), MODEL), transport


def test_local_estimate_grows_with_text_and_counts_long_words_by_length() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("run it") == 2
    assert estimate_tokens("internationalization") == 4  # 20 characters, 6 per token
    assert estimate_tokens("formatting") == 2 and estimate_tokens("format") == 1
    assert estimate_tokens("a, b.") == 4
    short, long = "Run `mix format`.", "Run `mix format` before running `git commit`."
    assert estimate_tokens(long) > estimate_tokens(short)


def test_exact_count_comes_from_the_recorded_api_response() -> None:
    counter, transport = _counter(RECORDINGS)
    assert counter.count("Run the project's formatter before committing.") == 17
    (req,) = transport.requests
    assert req["url"].endswith("/v1/messages/count_tokens")
    assert req["body"]["model"] == MODEL
    counter.count("Run the project's formatter before committing.")
    assert len(transport.requests) == 1  # cached


def test_an_unrecorded_text_is_refused_as_an_llm_error_never_sent(tmp_path: Path) -> None:
    counter, transport = _counter(tmp_path)
    with pytest.raises(LLMError, match="token counting failed"):
        counter.count("anything")
    assert len(transport.unmatched) == 1


def test_render_reports_exact_tokens_when_counting_through_the_api(
    ws: Settings, book: dict, tmp_path: Path
) -> None:
    text = render_workspace(Workspace(ws), "acme", "claude_md", agent=None)[0].text
    record: dict[str, Any] = {
        "request": {
            "method": "POST",
            "url": "https://api.anthropic.com/v1/messages/count_tokens",
            "body": {"messages": [{"role": "user", "content": text}], "model": MODEL},
        },
        "response": {"status_code": 200, "body": {"input_tokens": 321}},
    }
    (tmp_path / "render.json").write_bytes(orjson.dumps(record))
    counter, _ = _counter(tmp_path)
    result = render_workspace(Workspace(ws), "acme", "claude_md", agent=None, counter=counter)[0]
    assert result.text == text and result.tokens == 321
    assert result.counter == f"anthropic count_tokens ({MODEL})"


def test_without_a_key_the_counter_is_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert isinstance(counter_for(MODEL), LocalCounter)
    assert isinstance(counter_for(MODEL, api_key="sk-ant-x", exact=False), LocalCounter)
    assert isinstance(counter_for(MODEL, api_key="sk-ant-x"), AnthropicCounter)
