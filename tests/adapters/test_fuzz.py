"""Property: mutated real samples never make an adapter raise anything but InputError.

Mutations: truncation, dropped or duplicated lines, a JSON value replaced by
one of another type, and garbage bytes. Each adapter may yield sessions and
Malformed notes or raise :class:`~reverie.errors.InputError`; anything else
escaping ``sniff`` or ``parse`` is a bug.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reverie.adapters.anthropic import ADAPTER as ANTHROPIC
from reverie.adapters.base import AdapterOptions
from reverie.adapters.litellm import ADAPTER as LITELLM
from reverie.adapters.mapping import ADAPTER as MAPPING
from reverie.adapters.mini_swe_agent import ADAPTER as MINI
from reverie.adapters.native import ADAPTER as NATIVE
from reverie.adapters.native import dumps_record
from reverie.adapters.openai_chat import ADAPTER as OPENAI
from reverie.adapters.openhands import ADAPTER as OPENHANDS
from reverie.adapters.otel_genai import ADAPTER as OTEL
from reverie.adapters.swe_agent import ADAPTER as SWE
from reverie.errors import InputError
from reverie.models import Malformed, ParsedSession

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "real"
MAPPING_YAML = "session_id: s\nrole: r\ncontent: c\ntool_name: t.n\ntool_output: t.o\n"
OTHER_TYPES = [None, 0, -1, 1e308, True, "", "x", [], [1, "a"], {}, {"role": 7}]


def tau_sample() -> bytes:
    runs = json.loads((REAL / "tau_bench" / "gpt-4o-airline.tasks0-14.json").read_text())
    return json.dumps(runs[:2], indent=1).encode()


def anthropic_sample() -> bytes:
    use = {"type": "tool_use", "id": "t1", "name": "bash", "input": {"c": "ls"}}
    rows = [
        {
            "request": {
                "model": "m",
                "system": "s",
                "messages": [{"role": "user", "content": "q"}],
            },
            "response": {
                "id": "r1",
                "type": "message",
                "role": "assistant",
                "content": [use],
                "usage": {"input_tokens": 3, "output_tokens": 1},
            },
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "e", "is_error": True}
            ],
        },
    ]
    return "\n".join(json.dumps(r) for r in rows).encode() + b"\n"


def completion_sample() -> bytes:
    call = {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": '{"c": 1}'}}
    text = [{"type": "text", "text": "q"}]
    record = {
        "messages": [
            {"role": "system", "content": text},
            {"role": "user", "content": text},
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "name": "bash", "content": text},
        ],
        "response": {
            "object": "chat.completion",
            "model": "m",
            "choices": [{"message": {"role": "assistant", "content": "done"}}],
            "usage": {"prompt_tokens": 3, "prompt_tokens_details": {"cached_tokens": 1}},
        },
        "kwargs": {"metadata": {"session_id": "s"}},
        "timestamp": 1.0,
        "cost": 0.1,
    }
    return json.dumps([record, record]).encode()


def native_sample() -> bytes:
    return b"".join(
        [
            dumps_record(session="a", kind="session", agent="x", ts="2025-01-01T00:00:00Z"),
            dumps_record(session="a", kind="message", role="user", text="hi"),
            dumps_record(session="a", kind="tool_call", tool="bash", input={"c": 1}, call_id="c"),
            dumps_record(session="a", kind="tool_result", call_id="c", text="no", exit_code=1),
            dumps_record(session="a", kind="outcome", success=False),
        ]
    )


def mapping_sample() -> bytes:
    rows = [
        {"s": 1, "r": "user", "c": "hi"},
        {"s": 1, "r": "assistant", "t": {"n": "ls"}},
        {"s": 1, "t": {"n": "ls", "o": "boom"}},
    ]
    return "\n".join(json.dumps(r) for r in rows).encode() + b"\n"


def real(path: str) -> Callable[[], bytes]:
    return lambda: (REAL / path).read_bytes()


def smallest(folder: str, pattern: str) -> Callable[[], bytes]:
    return lambda: min((REAL / folder).rglob(pattern), key=lambda p: p.stat().st_size).read_bytes()


CASES = {
    "openai-chat": (OPENAI, tau_sample, ".json"),
    "mini-swe-agent": (MINI, smallest("mini_swe_agent/trajs", "*.traj.json"), ".json"),
    "swe-agent": (SWE, smallest("swe_agent", "*.traj"), ".traj"),
    "openhands": (
        OPENHANDS,
        real("openhands/tests/unit/resolver/mock_output/output.jsonl"),
        ".jsonl",
    ),
    "openhands-replay": (
        OPENHANDS,
        real("openhands/tests/runtime/trajs/basic_gui_mode.json"),
        ".json",
    ),
    "otel-genai": (OTEL, real("otel_genai/OPENAI_trace.json"), ".json"),
    "anthropic": (ANTHROPIC, anthropic_sample, ".jsonl"),
    "litellm": (LITELLM, completion_sample, ".json"),
    "reverie": (NATIVE, native_sample, ".jsonl"),
    "mapping": (MAPPING, mapping_sample, ".jsonl"),
}


def nodes(value, limit: int = 3000) -> list[tuple[object, object]]:
    """(container, key) pairs of the JSON tree, breadth first, at most ``limit``."""
    out, queue = [], [value]
    while queue and len(out) < limit:
        node = queue.pop(0)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            out.append((node, key))
            if isinstance(child, dict | list):
                queue.append(child)
    return out


def flip(data: bytes, where: int, choice: int) -> bytes:
    """Replace one JSON value (in the document, or in one JSONL line) by another type."""
    try:
        doc = json.loads(data)
        targets = nodes(doc) if isinstance(doc, dict | list) else []
        if targets:
            container, key = targets[where % len(targets)]
            container[key] = OTHER_TYPES[choice % len(OTHER_TYPES)]
            return json.dumps(doc).encode()
        return data
    except ValueError:
        if b"\n" not in data:
            return data
        lines = data.split(b"\n")
        index = where % len(lines)
        lines[index] = flip(lines[index], where // len(lines), choice)
        return b"\n".join(lines)


def mutate(data: bytes, op: str, a: int, b: int, junk: bytes) -> bytes:
    lines = data.split(b"\n")
    if op == "truncate":
        return data[: a % (len(data) + 1)]
    if op == "drop":
        del lines[a % len(lines)]
        return b"\n".join(lines)
    if op == "duplicate":
        i = a % len(lines)
        return b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    if op == "flip":
        return flip(data, a, b)
    at = a % (len(data) + 1)
    return data[:at] + junk + data[at:]


MUTATION = st.tuples(
    st.sampled_from(["truncate", "drop", "duplicate", "flip", "garbage"]),
    st.integers(0, 10**6),
    st.integers(0, 100),
    st.binary(min_size=1, max_size=8),
)


@pytest.mark.parametrize("case", sorted(CASES))
def test_mutations_raise_only_input_error(case: str) -> None:
    adapter, sample, suffix = CASES[case]
    original = sample()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mapping = folder / "map.yaml"
        mapping.write_text(MAPPING_YAML)
        options = AdapterOptions(mapping_file=mapping)
        path = folder / f"sample{suffix}"

        @settings(
            max_examples=int(os.environ.get("REVERIE_FUZZ_EXAMPLES", "40")),
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(st.lists(MUTATION, min_size=1, max_size=3))
        def check(mutations) -> None:
            data = original
            for op, a, b, junk in mutations:
                data = mutate(data, op, a, b, junk)
            path.write_bytes(data)
            score = adapter.sniff(path, data[: 64 * 1024])
            assert 0.0 <= score <= 1.0
            try:
                items = list(adapter.parse(path, options))
            except InputError:
                return
            assert all(isinstance(i, ParsedSession | Malformed) for i in items)

        check()
