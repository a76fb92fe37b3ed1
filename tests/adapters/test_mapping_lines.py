"""mapping: one session per line (a nested list of messages) and tool calls written as text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reverie.adapters.base import AdapterOptions
from reverie.adapters.mapping import ADAPTER, load_mapping
from reverie.errors import InputError
from reverie.ingest.pipeline import ingest_paths
from reverie.models import Event, Malformed, ParsedSession
from reverie.settings import Settings
from reverie.store import GraphStore
from reverie.workspace import Workspace

WEBSHOP_MAPPING = r"""
messages: conversations
session_id: task_id
agent_field: meta.agent
agent: webshop-baseline
model: meta.model
task: instruction
reward: reward
role: from
content: value
roles: {human: user, gpt: assistant, system: system}
actions:
  - pattern: '^(?P<tool>GET|POST) (?P<url>\S+)'
result_roles: [observation]
"""

WEBSHOP_LINES = [
    {
        "task_id": "ws-1",
        "meta": {"agent": "react-gpt", "model": "gpt-4o"},
        "instruction": "buy a red mug under $10",
        "reward": 1.0,
        "conversations": [
            {"from": "system", "value": "You shop."},
            {"from": "human", "value": "buy a red mug"},
            {"from": "gpt", "value": "GET /search?q=red+mug"},
            {"from": "observation", "value": "[B01] Red mug $8"},
            {"from": "gpt", "value": "POST /buy?item=B01"},
            {"from": "observation", "value": "Bought B01."},
        ],
    },
    {
        "task_id": "ws-2",
        "reward": 0.25,
        "conversations": [
            {"from": "human", "value": "find a blue lamp"},
            {"from": "gpt", "value": "GET /item?id=B99"},
            {"from": "observation", "value": "Error: 404 no such item"},
            {"from": "gpt", "value": "I could not find it."},
        ],
    },
    {"task_id": "ws-3", "conversations": "not a list"},
    '{"task_id": "ws-4", "conversa',
    {
        "task_id": "ws-1",
        "meta": {"agent": "other-bot"},
        "reward": 0,
        "conversations": [
            {"from": "human", "value": "buy a mug"},
            {"from": "critic", "value": "?"},
            {"from": "gpt", "value": "GET /search?q=mug"},
        ],
    },
]

REACT_MAPPING = r"""
format: json
records: runs
messages: steps
session_id: question_id
agent: react-hotpotqa
success: correct
reward: em
role: role
content: text
actions:
  - pattern: '^Action: (?P<tool>\w+)\[(?P<query>.*)\]\s*$'
result_roles: [user]
result_prefix: 'Observation:'
error_pattern: '^(?:Could not find|Invalid action)'
"""

REACT_DOC = {
    "runs": [
        {
            "question_id": "hp-7",
            "correct": False,
            "em": 0,
            "steps": [
                {"role": "user", "text": "Question: When was Ada Lovelace born?"},
                {"role": "assistant", "text": "Thought: search.\nAction: search[Ada Lovelace]"},
                {"role": "user", "text": "Observation: Ada Lovelace (born 1815) was ..."},
                {"role": "assistant", "text": "Thought: where?\nAction: lookup[birthplace]"},
                {"role": "user", "text": "Please hurry."},
                {"role": "user", "text": "Observation: Could not find birthplace."},
                {"role": "assistant", "text": "Action: finish[1815]"},
            ],
        },
        {
            "question_id": "hp-8",
            "correct": True,
            "steps": [
                {"role": "user", "text": "Question: Capital of France?"},
                {"role": "assistant", "text": "Action: finish[Paris]"},
            ],
        },
    ]
}

FENCED_MAPPING = r"""
messages: messages
session_id: instance_id
agent_field: agent
model: model
task: problem_statement
success: resolved
role: role
content: content
actions:
  - pattern: '(?s)```bash\n(?P<command>.*?)\n?```'
    tool: bash
exit_code_pattern: '<returncode>(-?\d+)</returncode>'
"""

FENCED_LINES = [
    {
        "instance_id": "proj__1",
        "agent": "mini-bash",
        "model": "m-2",
        "problem_statement": "Build fails",
        "resolved": False,
        "messages": [
            {"role": "system", "content": "You are a shell agent."},
            {"role": "user", "content": "The build fails."},
            {"role": "assistant", "content": "Compile.\n```bash\njavac Main.java\n```"},
            {"role": "user", "content": "<returncode>127</returncode>\njavac: command not found"},
            {"role": "assistant", "content": "```bash\nls\n```"},
            {"role": "user", "content": "<returncode>0</returncode>\nMain.java"},
            {"role": "assistant", "content": "I cannot build without a JDK."},
            {"role": "user", "content": "Please continue."},
        ],
    },
    {
        "instance_id": "proj__2",
        "agent": "mini-bash",
        "resolved": "true",
        "messages": [
            {"role": "user", "content": "Run the tests."},
            {"role": "assistant", "content": "```bash\npytest -q\n```"},
            {"role": "user", "content": "Traceback (most recent call last):\n  File ..."},
        ],
    },
]


def write_lines(tmp_path: Path, lines: list, mapping: str) -> tuple[Path, Path]:
    log = tmp_path / "runs.jsonl"
    rows = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    log.write_text("\n".join(rows) + "\n")
    spec = tmp_path / "map.yaml"
    spec.write_text(mapping)
    return log, spec


def parse(log: Path, spec: Path, agent: str | None = None) -> list[ParsedSession | Malformed]:
    return list(ADAPTER.parse(log, AdapterOptions(mapping_file=spec, agent=agent)))


def shape(events: list[Event]) -> list[tuple[str, str, str | None]]:
    return [(e.key, e.kind, e.role or e.tool) for e in events]


def results(events: list[Event]) -> list[tuple[str | None, str | None, bool, int | None]]:
    return [(e.call_id, e.text, e.is_error, e.exit_code) for e in events if e.kind == "tool_result"]


def calls(events: list[Event]) -> list[tuple[str | None, str | None, object]]:
    return [(e.call_id, e.tool, e.tool_input) for e in events if e.kind == "tool_call"]


def test_one_session_per_line_with_text_actions(tmp_path: Path) -> None:
    log, spec = write_lines(tmp_path, WEBSHOP_LINES, WEBSHOP_MAPPING)
    items = parse(log, spec)
    assert [(i.line, i.reason.split(":")[0]) for i in items if isinstance(i, Malformed)] == [
        (3, "no list of messages at 'conversations'"),
        (4, "not valid JSON"),
        (5, "message 1"),
    ]
    assert "role 'critic' is not mapped" in items[4].reason
    one, two, five = [i for i in items if isinstance(i, ParsedSession)]
    sessions = [(s.session.native_id, s.session.agent, s.session.model) for s in (one, two, five)]
    assert sessions == [
        ("ws-1", "react-gpt", "gpt-4o"),
        ("ws-2", "webshop-baseline", None),
        ("ws-1", "other-bot", None),
    ]
    assert [one.session.task, two.session.task, five.session.task] == [
        "buy a red mug under $10",
        "find a blue lamp",
        "buy a mug",
    ]
    outcomes = [
        (s.outcome.success, s.outcome.reward, s.outcome.source.line) for s in (one, two, five)
    ]
    assert outcomes == [(True, 1.0, 1), (False, 0.25, 2), (False, 0.0, 5)]
    assert shape(one.events) == [
        ("m0", "message", "system"),
        ("m1", "message", "user"),
        ("m2", "message", "assistant"),
        ("m2.action", "tool_call", "GET"),
        ("m3", "tool_result", "GET"),
        ("m4", "message", "assistant"),
        ("m4.action", "tool_call", "POST"),
        ("m5", "tool_result", "POST"),
    ]
    assert calls(one.events) == [
        ("m2.action", "GET", {"url": "/search?q=red+mug"}),
        ("m4.action", "POST", {"url": "/buy?item=B01"}),
    ]
    assert results(one.events) == [
        ("m2.action", "[B01] Red mug $8", False, None),
        ("m4.action", "Bought B01.", False, None),
    ]
    assert {e.source.line for e in one.events} == {1}
    assert results(two.events) == [("m1.action", "Error: 404 no such item", True, None)]
    assert shape(five.events) == [
        ("m0", "message", "user"),
        ("m2", "message", "assistant"),
        ("m2.action", "tool_call", "GET"),
    ]


def test_agent_option_wins_over_the_mapped_agent(tmp_path: Path) -> None:
    log, spec = write_lines(tmp_path, WEBSHOP_LINES, WEBSHOP_MAPPING)
    agents = {i.session.agent for i in parse(log, spec, "cli") if isinstance(i, ParsedSession)}
    assert agents == {"cli"}


def test_react_runs_in_a_json_document(tmp_path: Path) -> None:
    log = tmp_path / "react.json"
    log.write_text(json.dumps(REACT_DOC))
    spec = tmp_path / "map.yaml"
    spec.write_text(REACT_MAPPING)
    seven, eight = parse(log, spec)
    assert (seven.session.native_id, seven.session.agent) == ("hp-7", "react-hotpotqa")
    assert seven.session.task == "Question: When was Ada Lovelace born?"
    assert shape(seven.events) == [
        ("m0", "message", "user"),
        ("m1", "message", "assistant"),
        ("m1.action", "tool_call", "search"),
        ("m2", "tool_result", "search"),
        ("m3", "message", "assistant"),
        ("m3.action", "tool_call", "lookup"),
        ("m4", "message", "user"),
        ("m5", "tool_result", "lookup"),
        ("m6", "message", "assistant"),
        ("m6.action", "tool_call", "finish"),
    ]
    assert calls(seven.events) == [
        ("m1.action", "search", {"query": "Ada Lovelace"}),
        ("m3.action", "lookup", {"query": "birthplace"}),
        ("m6.action", "finish", {"query": "1815"}),
    ]
    assert results(seven.events) == [
        ("m1.action", "Ada Lovelace (born 1815) was ...", False, None),
        ("m3.action", "Could not find birthplace.", True, None),
    ]
    outcomes = [
        (s.outcome.success, s.outcome.reward, s.outcome.source.line) for s in (seven, eight)
    ]
    assert outcomes == [(False, 0.0, 1), (True, None, 2)]
    assert eight.session.native_id == "hp-8" and {e.source.line for e in eight.events} == {2}
    assert calls(eight.events) == [("m1.action", "finish", {"query": "Paris"})]


def test_fenced_commands_with_results_in_the_next_user_message(tmp_path: Path) -> None:
    log, spec = write_lines(tmp_path, FENCED_LINES, FENCED_MAPPING)
    one, two = parse(log, spec)
    assert (one.session.native_id, one.session.agent, one.session.model) == (
        "proj__1",
        "mini-bash",
        "m-2",
    )
    assert one.session.task == "Build fails"
    assert [e.kind for e in one.events] == [
        "message",
        "message",
        "message",
        "tool_call",
        "tool_result",
        "message",
        "tool_call",
        "tool_result",
        "message",
        "message",
    ]
    assert calls(one.events) == [
        ("m2.action", "bash", {"command": "javac Main.java"}),
        ("m4.action", "bash", {"command": "ls"}),
    ]
    assert results(one.events) == [
        ("m2.action", "<returncode>127</returncode>\njavac: command not found", True, 127),
        ("m4.action", "<returncode>0</returncode>\nMain.java", False, 0),
    ]
    assert (one.events[-1].key, one.events[-1].role) == ("m7", "user")
    assert [e.model for e in one.events if e.kind == "tool_call"] == ["m-2", "m-2"]
    assert results(two.events) == [
        ("m1.action", "Traceback (most recent call last):\n  File ...", True, None)
    ]
    assert (one.outcome.success, two.outcome.success, two.outcome.reward) == (False, True, None)


def test_fenced_run_ingests_end_to_end(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    log, spec = write_lines(tmp_path, FENCED_LINES, FENCED_MAPPING)
    summary = ingest_paths(space, space.tenant, [log], fmt="mapping", mapping=spec)
    assert summary.formats == {"mapping": 1} and summary.malformed == [] and summary.errors == []
    assert (summary.sessions, summary.events, summary.outcomes) == (2, 14, 2)
    failed = list(store.events(workspace.tenant, errors_only=True))
    found = sorted((e.text.split("\n")[-1], e.tool, e.exit_code) for e in failed)
    assert found == [("  File ...", "bash", None), ("javac: command not found", "bash", 127)]
    assert all(e.answers_id for e in failed)
    assert sorted(s.agent for s in store.sessions(workspace.tenant)) == ["mini-bash", "mini-bash"]


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        (
            "content: c\nactions: [{pattern: 'Action: (\\w+', tool: x}]\n",
            "field 'actions.0.pattern': not a valid regular expression",
        ),
        ("content: c\nerror_pattern: '['\n", "field 'error_pattern': not a valid regular"),
        ("content: c\nactions: [{pattern: 'GET (.*)'}]\n", "field 'actions.0.tool'"),
        (
            "content: c\nactions: [{pattern: 'GET (?P<url>.*)', tool: get, input: u}]\n",
            "field 'actions.0.input': the pattern has no group named 'u'",
        ),
        ("content: c\nexit_code_pattern: 'rc=\\d+'\n", "field 'exit_code_pattern'"),
        ("content: c\nrecords: runs\n", "field 'records' is read only with format: json"),
        ("tool_name: t\nactions: [{pattern: x, tool: y}]\n", "field 'actions': text actions"),
        (
            "content: c\nactions: [{pattern: x, tool: y, tol: z}]\n",
            "unknown field 'actions.0.tol' (known fields: pattern, tool, input)",
        ),
    ],
)
def test_text_action_errors_name_file_and_field(
    tmp_path: Path, mapping: str, expected: str
) -> None:
    spec = tmp_path / "map.yaml"
    spec.write_text(mapping)
    with pytest.raises(InputError) as info:
        load_mapping(spec)
    assert expected in str(info.value) and str(spec) in str(info.value)


def doc_blocks() -> list[tuple[str, str]]:
    """(language, text) of the code blocks in the mapping section of docs/formats.md."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text()
    section = text.split("## mapping", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```(\w*)\n(.*?)^```", section, re.M | re.S)


def doc_examples() -> list[tuple[str, str]]:
    """(mapping, log) pairs: each jsonl block with the yaml block before it."""
    pairs, mapping = [], ""
    for lang, body in doc_blocks():
        if lang == "yaml":
            mapping = body
        elif lang == "jsonl":
            pairs.append((mapping, body))
    return pairs


def test_docs_examples_read_as_documented(tmp_path: Path) -> None:
    (webshop_map, webshop_log), (react_map, react_log) = doc_examples()
    log, spec = write_lines(tmp_path, webshop_log.strip().splitlines(), webshop_map)
    web17, web18 = parse(log, spec)
    summary = [
        (s.session.native_id, s.session.agent, s.session.model, len(s.events), s.outcome.success)
        for s in (web17, web18)
    ]
    assert summary == [
        ("ws-17", "react-webshop", "gpt-4o", 7, True),
        ("ws-18", "webshop-agent", None, 4, False),
    ]
    assert [(e.tool, e.tool_input) for e in web17.events if e.kind == "tool_call"] == [
        ("GET", {"url": "/search?q=red+mug"}),
        ("POST", {"url": "/buy?item=B01"}),
    ]
    assert [e.is_error for e in web18.events if e.kind == "tool_result"] == [True]
    log, spec = write_lines(tmp_path, react_log.strip().splitlines(), react_map)
    (run,) = parse(log, spec)
    assert (run.session.native_id, run.session.agent, len(run.events)) == ("hp-7", "react-qa", 9)
    assert (run.outcome.success, run.outcome.source.line) == (True, 6)
    assert calls(run.events) == [
        ("L2.action", "search", {"query": "Ada Lovelace"}),
        ("L4.action", "lookup", {"query": "birthplace"}),
        ("L6.action", "finish", {"query": "1815"}),
    ]
    assert [(e.call_id, e.is_error) for e in run.events if e.kind == "tool_result"] == [
        ("L2.action", False),
        ("L4.action", True),
    ]


def test_docs_fenced_rule_is_the_tested_one() -> None:
    snippet = [body for lang, body in doc_blocks() if lang == "yaml"][-1]
    rule = [line.split("   #")[0].rstrip() for line in snippet.splitlines()]
    assert rule and all(line + "\n" in FENCED_MAPPING for line in rule)
