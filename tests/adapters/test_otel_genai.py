"""otel-genai: the SDK span JSON sample and OTLP/JSON exports built here from the spec."""

from __future__ import annotations

import json
from pathlib import Path

from reverie.adapters.base import AdapterOptions
from reverie.adapters.otel_genai import ADAPTER
from reverie.models import Malformed, ParsedSession


def test_sdk_span_json_counts(real_data: Path) -> None:
    files = sorted((real_data / "otel_genai").glob("*_trace.json"))
    assert len(files) == 7
    for path in files:
        raw = json.loads(path.read_text())
        spans = raw["spans"]
        ops = [s["attributes"].get("gen_ai.operation.name") for s in spans]
        errors = sum(1 for s in spans if s["status"]["status_code"] == "error")
        (parsed,) = list(ADAPTER.parse(path, AdapterOptions()))
        assert parsed.session.native_id == format(spans[0]["context"]["trace_id"], "032x")
        kinds = [e.kind for e in parsed.events]
        assert kinds.count("tool_call") == kinds.count("tool_result") == ops.count("execute_tool")
        assert sum(e.role == "assistant" for e in parsed.events) == ops.count("call_llm")
        assert sum(e.is_error for e in parsed.events) == errors
        assert parsed.session.agent == "any_agent"
        usage = sum(int(s["attributes"].get("gen_ai.usage.input_tokens", 0)) for s in spans)
        assert sum(e.usage.input_tokens for e in parsed.events if e.usage) == usage
        assert parsed.outcome is None  # the root spans are not in error
        assert [e.timestamp for e in parsed.events] == sorted(e.timestamp for e in parsed.events)


def attr(key: str, value) -> dict:
    if isinstance(value, bool):
        typed = {"boolValue": value}
    elif isinstance(value, int):
        typed = {"intValue": str(value)}
    else:
        typed = {"stringValue": value}
    return {"key": key, "value": typed}


def span(trace: str, sid: str, parent: str, start: int, attrs: dict, code: int = 1) -> dict:
    return {
        "traceId": trace,
        "spanId": sid,
        "parentSpanId": parent,
        "name": "x",
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 10),
        "attributes": [attr(k, v) for k, v in attrs.items()],
        "status": {"code": code, "message": "boom" if code == 2 else ""},
    }


def otlp(tmp_path: Path) -> Path:
    t1, t2 = "0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736"
    base = 1_700_000_000_000_000_000
    spans = [
        span(
            t1,
            "b7ad6b7169203331",
            "",
            base,
            {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"},
            code=2,
        ),
        span(
            t1,
            "00f067aa0ba902b7",
            "b7ad6b7169203331",
            base + 1,
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "m-1",
                "gen_ai.input.messages": json.dumps([{"role": "user", "content": "do it"}]),
                "gen_ai.usage.input_tokens": 12,
                "gen_ai.usage.output_tokens": 3,
            },
        ),
        span(
            t1,
            "00f067aa0ba902b8",
            "b7ad6b7169203331",
            base + 2,
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "web_fetch",
                "gen_ai.tool.call.id": "call-1",
                "gen_ai.tool.call.arguments": '{"url": "u"}',
            },
            code=2,
        ),
        span(
            t2,
            "00f067aa0ba902b9",
            "",
            base + 5,
            {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "ls"},
        ),
    ]
    doc = {
        "resourceSpans": [
            {
                "resource": {"attributes": [attr("service.name", "svc")]},
                "scopeSpans": [{"scope": {"name": "s"}, "spans": spans}],
            }
        ]
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    return path


def test_otlp_json_export(tmp_path: Path) -> None:
    path = otlp(tmp_path)
    head = path.read_bytes()
    assert ADAPTER.sniff(path, head) >= 0.9
    first, second = list(ADAPTER.parse(path, AdapterOptions()))
    assert first.session.native_id == "0af7651916cd43dd8448eb211c80319c"
    assert first.session.agent == "planner" and first.session.model == "m-1"
    assert first.outcome is not None and first.outcome.success is False
    call, result = [e for e in first.events if e.kind != "message"]
    assert call.tool_input == {"url": "u"} and call.call_id == result.call_id == "call-1"
    assert result.is_error and result.trust == "external" and result.text == "boom"
    user = next(e for e in first.events if e.role == "user")
    assert user.trust == "user" and user.text == "do it"
    assert next(e.usage for e in first.events if e.usage).input_tokens == 12
    assert second.outcome is None and [e.tool for e in second.events] == ["ls", "ls"]


def test_otlp_jsonl_with_a_bad_line(tmp_path: Path) -> None:
    doc = otlp(tmp_path).read_text()
    path = tmp_path / "export.jsonl"
    path.write_text(doc + "\n{oops\n" + doc + "\n")
    items = list(ADAPTER.parse(path, AdapterOptions()))
    assert [i.line for i in items if isinstance(i, Malformed)] == [2]
    sessions = [i for i in items if isinstance(i, ParsedSession)]
    assert len(sessions) == 2  # the same two traces, their spans merged by trace id
    assert all(len({e.key for e in s.events}) == len(s.events) for s in sessions)
