"""OpenTelemetry GenAI spans: SDK span JSON and OTLP/JSON exports.

Accepted shapes: ``{"spans": [...], "final_output": ...}`` or a bare list of
SDK spans (``context{trace_id,span_id}``, ``parent``, ``start_time`` in ns,
``status{status_code}``, flat ``attributes``); an OTLP/JSON export
``{"resourceSpans": [{"scopeSpans": [{"spans": [...]}]}]}`` with hex
``traceId`` / ``spanId``, string ``startTimeUnixNano`` and typed attribute
lists ``[{key, value: {stringValue|intValue|doubleValue|boolValue|arrayValue|
kvlistValue}}]``; and JSONL with one such document (or span) per line.

One session per trace id. Spans are ordered by start time; by
``gen_ai.operation.name``: LLM spans (``call_llm``, ``chat``,
``text_completion``, ``generate_content``) give the first call's input
messages (system = operator, user = user) and each call's output as an agent
message with token usage and cost; ``execute_tool`` spans give a
``tool_call`` + ``tool_result`` pair. A span with status ERROR is an error.
Source lines: the JSONL line, or the 1-based index of the span in document
order. Agent: ``gen_ai.agent.name``. A root span with status ERROR gives a
failed outcome; ``final_output`` is kept in ``Session.attrs``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reverie.adapters._common import (
    SHAPE_ERRORS,
    EventList,
    as_text,
    has_key,
    head_text,
    is_jsonl,
    iter_json_lines,
    json_object,
    load_json_document,
    parse_json_arg,
    parse_time,
    resolve_agent,
    to_float,
    to_int,
    tool_trust,
)
from reverie.adapters.base import AdapterOptions, ParseItem
from reverie.errors import InputError
from reverie.models import Malformed, Outcome, ParsedSession, Session, TrustClass, Usage

__all__ = ["ADAPTER", "OtelGenAIAdapter", "otlp_value"]

LLM_OPS = {"call_llm", "chat", "text_completion", "generate_content"}
ROLE_TRUST: dict[str, TrustClass] = {
    "system": "operator",
    "developer": "operator",
    "user": "user",
    "assistant": "agent",
    "tool": "tool",
}


def otlp_value(value: Any) -> Any:
    """Decode an OTLP/JSON ``AnyValue`` (``{"stringValue": "x"}`` ...) to a Python value.

    >>> otlp_value({"intValue": "42"})
    42
    >>> otlp_value({"arrayValue": {"values": [{"boolValue": True}]}})
    [True]
    """
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return to_int(value["intValue"])
    if "doubleValue" in value:
        return to_float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [otlp_value(v) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return _otlp_attributes((value["kvlistValue"] or {}).get("values") or [])
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def _otlp_attributes(items: list[Any]) -> dict[str, Any]:
    return {item["key"]: otlp_value(item.get("value")) for item in items}


def _otlp_span(span: dict[str, Any]) -> dict[str, Any]:
    status = span.get("status") or {}
    code = status.get("code")
    error = code in (2, "2", "STATUS_CODE_ERROR", "ERROR")
    return {
        "trace": str(span["traceId"]),
        "span": str(span["spanId"]),
        "parent": span.get("parentSpanId") or None,
        "name": span.get("name"),
        "start": to_int(span.get("startTimeUnixNano")),
        "end": to_int(span.get("endTimeUnixNano")),
        "error": error,
        "status_message": status.get("message"),
        "attrs": _otlp_attributes(span.get("attributes") or []),
    }


def _hex(value: Any, width: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"span id {value!r} is not an integer or hex string")
    return format(value, f"0{width}x") if isinstance(value, int) and value >= 0 else str(value)


def _sdk_span(span: dict[str, Any]) -> dict[str, Any]:
    context = span["context"]
    parent = json_object(span.get("parent") or {}, "span parent")
    status = json_object(span.get("status") or {}, "span status")
    attrs = span.get("attributes") or {}
    if not isinstance(attrs, dict):
        raise TypeError("span attributes are not an object")
    return {
        "trace": _hex(context["trace_id"], 32),
        "span": _hex(context["span_id"], 16),
        "parent": _hex(parent["span_id"], 16) if parent.get("span_id") is not None else None,
        "name": span.get("name"),
        "start": to_int(span.get("start_time")),
        "end": to_int(span.get("end_time")),
        "error": str(status.get("status_code", "")).lower() == "error",
        "status_message": status.get("description"),
        "attrs": attrs,
    }


def spans_of(doc: Any) -> tuple[list[dict[str, Any]], Any]:
    """Normalized spans and the ``final_output`` (if any) of one document."""
    if isinstance(doc, dict) and isinstance(doc.get("resourceSpans"), list):
        spans = [
            _otlp_span(span)
            for rs in doc["resourceSpans"]
            for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []
            for span in ss.get("spans") or []
        ]
        return spans, None
    if isinstance(doc, dict) and isinstance(doc.get("spans"), list):
        return [_sdk_span(s) for s in doc["spans"]], doc.get("final_output")
    if isinstance(doc, list):
        return [_sdk_span(s) for s in doc], None
    if isinstance(doc, dict) and "context" in doc:
        return [_sdk_span(doc)], None
    raise TypeError("no spans")


def _llm(events: EventList, span: dict[str, Any], line: int, first: bool) -> None:
    attrs, ts = span["attrs"], parse_time(span["start"])
    model = attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model")
    if first:
        for i, msg in enumerate(parse_json_arg(attrs.get("gen_ai.input.messages")) or []):
            role = msg.get("role") if isinstance(msg, dict) else None
            if role in ("system", "developer", "user"):
                events.add(
                    "message",
                    ROLE_TRUST[role],
                    line,
                    f"{span['span']}.in{i}",
                    role="user" if role == "user" else "system",
                    text=as_text(msg.get("content") or msg.get("parts")),
                    timestamp=ts,
                )
    cost_in, cost_out = (
        to_float(attrs.get("gen_ai.usage.input_cost")),
        to_float(attrs.get("gen_ai.usage.output_cost")),
    )
    cost = None if cost_in is None and cost_out is None else (cost_in or 0) + (cost_out or 0)
    usage = Usage(
        input_tokens=to_int(attrs.get("gen_ai.usage.input_tokens")) or 0,
        output_tokens=to_int(attrs.get("gen_ai.usage.output_tokens")) or 0,
        cost_usd=cost,
    )
    output = attrs.get("gen_ai.output", attrs.get("gen_ai.output.messages"))
    events.add(
        "message",
        "agent",
        line,
        span["span"],
        role="assistant",
        text=as_text(output),
        timestamp=ts,
        model=str(model) if model else None,
        usage=usage,
        is_error=span["error"],
        flags=["llm_error"] if span["error"] else [],
    )


def _tool(events: EventList, span: dict[str, Any], line: int) -> None:
    attrs = span["attrs"]
    tool = attrs.get("gen_ai.tool.name") or span["name"]
    call_id = str(attrs.get("gen_ai.tool.call.id") or span["span"])
    args = attrs.get("gen_ai.tool.args", attrs.get("gen_ai.tool.call.arguments"))
    events.add(
        "tool_call",
        "agent",
        line,
        f"{span['span']}.call",
        tool=tool,
        call_id=call_id,
        tool_input=parse_json_arg(args),
        timestamp=parse_time(span["start"]),
    )
    result = attrs.get("gen_ai.output", attrs.get("gen_ai.tool.call.result"))
    text = as_text(result) or (span["status_message"] or "")
    events.add(
        "tool_result",
        tool_trust(str(tool)),
        line,
        f"{span['span']}.result",
        tool=tool,
        call_id=call_id,
        text=text,
        is_error=span["error"],
        timestamp=parse_time(span["end"]),
    )


def _session(trace: str, spans: list[tuple[int, dict]], file: str, options, final) -> ParsedSession:
    spans = sorted(spans, key=lambda item: (item[1]["start"] or 0, item[0]))
    events, first_llm = EventList(file), True
    for line, span in spans:
        op = span["attrs"].get("gen_ai.operation.name")
        if op in LLM_OPS:
            _llm(events, span, line, first_llm)
            first_llm = False
        elif op == "execute_tool":
            _tool(events, span, line)
    attrs_all = [span["attrs"] for _, span in spans]
    agent = next((a["gen_ai.agent.name"] for a in attrs_all if a.get("gen_ai.agent.name")), None)
    model = next((e.model for e in events.events if e.model), None)
    roots = [span for _, span in spans if not span["parent"]]
    outcome = None
    if any(root["error"] for root in roots):
        detail = next((r["status_message"] for r in roots if r["error"]), None)
        outcome = Outcome(success=False, detail=f"root span status ERROR: {detail or ''}".strip())
    starts = [parse_time(s["start"]) for _, s in spans if s["start"]]
    ends = [parse_time(s["end"]) for _, s in spans if s["end"]]
    task = next((e.text for e in events.events if e.role == "user"), None)
    session = Session(
        native_id=trace,
        format="otel-genai",
        source_file=file,
        task=task,
        model=model,
        agent=resolve_agent(options.agent, str(agent) if agent else None, default="otel-genai"),
        started_at=min(filter(None, starts), default=None),
        ended_at=max(filter(None, ends), default=None),
        attrs={"final_output": as_text(final)[:4000]} if final is not None else {},
    )
    return ParsedSession(session=session, events=events.events, outcome=outcome)


class OtelGenAIAdapter:
    """Reads GenAI-convention spans from the OTel SDK's JSON or from OTLP/JSON exports."""

    name = "otel-genai"
    description = "OpenTelemetry GenAI spans (SDK span JSON, OTLP/JSON resourceSpans)"

    def sniff(self, path: Path, head: bytes) -> float:
        text = head_text(head)
        if has_key(text, "resourceSpans"):
            return 0.95
        if (has_key(text, "spans") or has_key(text, "span_id")) and '"gen_ai.' in text:
            return 0.95
        if has_key(text, "span_id") and has_key(text, "trace_id"):
            return 0.6
        return 0.0

    def parse(self, path: Path, options: AdapterOptions) -> Iterator[ParseItem]:
        file = str(path)
        traces: dict[str, list[tuple[int, dict]]] = {}
        final = None
        if is_jsonl(path):
            for lineno, doc, error in iter_json_lines(path, exact_ints=True):
                if error:
                    yield Malformed(file=file, line=lineno, reason=error)
                    continue
                try:
                    spans, _ = spans_of(doc)
                except SHAPE_ERRORS as exc:
                    yield Malformed(file=file, line=lineno, reason=f"not OTel spans: {exc}")
                    continue
                for span in spans:
                    traces.setdefault(span["trace"], []).append((lineno, span))
        else:
            doc = load_json_document(path, exact_ints=True)
            try:
                spans, final = spans_of(doc)
            except SHAPE_ERRORS as exc:
                raise InputError(f"not OpenTelemetry span JSON: {exc}", file) from exc
            for index, span in enumerate(spans, start=1):
                traces.setdefault(span["trace"], []).append((index, span))
        if not traces:
            raise InputError("no OpenTelemetry spans found", file)
        for trace, numbered in traces.items():
            try:
                yield _session(trace, numbered, file, options, final if len(traces) == 1 else None)
            except SHAPE_ERRORS as exc:
                yield Malformed(file=file, line=numbered[0][0], reason=f"trace {trace}: {exc}")


ADAPTER = OtelGenAIAdapter()
