"""reverie (native JSONL): fixtures written with dumps_record; the schema file stays in sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.adapters.base import AdapterOptions
from reverie.adapters.native import ADAPTER, dumps_record, schema
from reverie.errors import InputError
from reverie.models import Malformed, ParsedSession

ROOT = Path(__file__).resolve().parents[2]


def corpus(path: Path) -> list[dict]:
    lines = [
        dict(
            session="a",
            kind="session",
            agent="bot",
            model="m-1",
            task="fix it",
            ts="2025-01-01T00:00:00Z",
            attrs={"team": "x"},
        ),
        dict(session="a", kind="message", role="user", text="fix it", ts=1735689601),
        dict(session="b", kind="message", role="system", text="rules"),
        dict(session="a", kind="tool_call", tool="web_fetch", input={"url": "u"}, call_id="c1"),
        dict(
            session="a",
            kind="tool_result",
            call_id="c1",
            text="404",
            is_error=True,
            exit_code=22,
            ts="2025-01-01T00:00:05+00:00",
        ),
        dict(session="a", kind="outcome", success=False, reward=0.0),
    ]
    path.write_bytes(b"".join(dumps_record(**rec) for rec in lines))
    return lines


def test_native_sessions_events_and_outcome(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    lines = corpus(path)
    assert ADAPTER.sniff(path, path.read_bytes()) == 1.0
    items = list(ADAPTER.parse(path, AdapterOptions()))
    a, b = items
    assert a.session.native_id == "a" and a.session.agent == "bot" and a.session.model == "m-1"
    assert a.session.attrs == {"team": "x"} and a.session.task == "fix it"
    assert a.outcome.success is False and a.outcome.source.line == len(lines)
    assert [e.kind for e in a.events] == ["message", "tool_call", "tool_result"]
    result = a.events[2]
    assert result.is_error and result.exit_code == 22 and result.trust == "external"
    assert result.tool == "web_fetch" and result.source.line == 5
    assert (a.session.ended_at - a.session.started_at).total_seconds() == 5
    assert b.outcome is None and b.events[0].trust == "operator" and b.session.agent == "unknown"


def test_native_malformed_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    corpus(path)
    with path.open("a") as fh:
        fh.write('{"reverie": 1, "session": "a", "kind": "message", "role": "user"}\n')
        fh.write('{"reverie": 1, "session": "c", "kind": "message"}\n')
        fh.write('{"reverie": 2, "session": "c", "kind": "bogus", "extra": 1}\n')
    items = list(ADAPTER.parse(path, AdapterOptions(agent="forced")))
    bad = {i.line: i.reason for i in items if isinstance(i, Malformed)}
    assert sorted(bad) == [7, 8, 9]
    assert "closed" in bad[7] and "role" in bad[8]
    assert all(i.session.agent == "forced" for i in items if isinstance(i, ParsedSession))
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"reverie": 1}\n')
    with pytest.raises(InputError):
        list(ADAPTER.parse(junk, AdapterOptions()))


def test_schema_file_matches_the_model() -> None:
    on_disk = json.loads((ROOT / "graph" / "native.schema.json").read_text())
    assert on_disk == json.loads(json.dumps(schema()))
    assert on_disk["required"] == ["reverie", "session", "kind"]
