"""mapping: a YAML field mapping over a log shape Reverie does not know."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.adapters.base import AdapterOptions
from reverie.adapters.mapping import ADAPTER, load_mapping
from reverie.errors import ConfigError, InputError
from reverie.models import Malformed, ParsedSession

MAPPING = """\
format: jsonl
session_id: conv
role: who
content: body.text
tool_name: call.name
tool_input: call.args
tool_output: call.result
call_id: call.id
error: call.failed
timestamp: at
agent: helpdesk-bot
roles: {human: user, bot: assistant}
"""


def write(tmp_path: Path, records: list, mapping: str = MAPPING) -> tuple[Path, Path]:
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    spec = tmp_path / "map.yaml"
    spec.write_text(mapping)
    return log, spec


def test_mapping_reads_an_unknown_shape(tmp_path: Path) -> None:
    records = [
        {"conv": 1, "who": "human", "body": {"text": "reset my password"}, "at": 1700000000},
        {"conv": 1, "who": "bot", "call": {"name": "lookup", "args": '{"u": 1}', "id": "k"}},
        {"conv": 2, "who": "human", "body": {"text": "other"}},
        {"conv": 1, "call": {"id": "k", "result": "no such user", "failed": True}},
        {"conv": 1, "who": "robot", "body": {"text": "?"}},
    ]
    log, spec = write(tmp_path, records)
    assert ADAPTER.sniff(log, log.read_bytes()) == 0.0
    items = list(ADAPTER.parse(log, AdapterOptions(mapping_file=spec)))
    bad = [i for i in items if isinstance(i, Malformed)]
    assert [b.line for b in bad] == [5] and "robot" in bad[0].reason
    one, two = [i for i in items if isinstance(i, ParsedSession)]
    assert one.session.native_id == "1" and one.session.agent == "helpdesk-bot"
    assert [e.kind for e in one.events] == ["message", "tool_call", "tool_result"]
    call, result = one.events[1:]
    assert call.tool_input == {"u": 1} and result.call_id == "k" and result.tool == "lookup"
    assert result.is_error and one.events[0].timestamp is not None
    assert len(two.events) == 1


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ("content: a\nsesion_id: b\n", "unknown field 'sesion_id'"),
        ("content: a\nformat: csv\n", "field 'format'"),
        ("roles: {x: boss}\ncontent: a\n", "field 'roles.x'"),
        ("session_id: a\n", "map at least one of"),
        ("- a\n", "YAML mapping"),
    ],
)
def test_mapping_errors_name_file_and_field(tmp_path: Path, mapping: str, expected: str) -> None:
    _, spec = write(tmp_path, [], mapping)
    with pytest.raises(InputError) as info:
        load_mapping(spec)
    assert expected in str(info.value) and str(spec) in str(info.value)


def test_mapping_needs_a_file_and_a_list(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_mapping(None)
    log, spec = write(tmp_path, [], "format: json\nrecords: data.items\ncontent: t\n")
    log.write_text(json.dumps({"data": {"items": 3}}))
    with pytest.raises(InputError, match=r"data\.items"):
        list(ADAPTER.parse(log, AdapterOptions(mapping_file=spec)))
