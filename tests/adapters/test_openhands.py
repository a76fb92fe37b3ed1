"""OpenHands: the three layouts, counted from the raw events."""

from __future__ import annotations

import json
from pathlib import Path

from reverie.adapters.base import AdapterOptions
from reverie.adapters.openhands import ADAPTER
from reverie.models import ParsedSession

NOT_TOOLS = {"message", "system", "recall", "change_agent_state", "think", "finish", "reject"}
NOT_RESULTS = {"null", "agent_state_changed", "recall", "think"}


def raw_runs(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [{"history": json.loads(path.read_text())}]


def flat(history: list) -> list[dict]:
    return [e for item in history for e in (item if isinstance(item, list) else [item])]


def exit_code(e: dict):
    extras = e.get("extras") or {}
    fallback = extras.get("exit_code", e.get("exit_code"))
    return (extras.get("metadata") or {}).get("exit_code", fallback)


def transcripts(real_data: Path) -> list[Path]:
    root = real_data / "openhands"
    return sorted([*root.rglob("output.jsonl"), *root.rglob("trajs/*.json")])


def test_openhands_counts(real_data: Path) -> None:
    files = transcripts(real_data)
    assert len(files) == 5
    totals = {"sessions": 0, "calls": 0, "results": 0, "errors": 0, "outcomes": 0}
    got = dict.fromkeys(totals, 0)
    for path in files:
        for run in raw_runs(path):
            events = flat(run["history"])
            totals["sessions"] += 1
            totals["calls"] += sum(
                1 for e in events if e.get("action") and e["action"] not in NOT_TOOLS
            )
            results = [
                e for e in events if e.get("observation") and e["observation"] not in NOT_RESULTS
            ]
            totals["results"] += len(results)
            totals["errors"] += sum(
                1 for e in results if e["observation"] == "error" or exit_code(e) not in (None, 0)
            )
            outcome = (run.get("test_result") or {}).get("result", run.get("success"))
            totals["outcomes"] += isinstance(outcome, bool)
        for item in ADAPTER.parse(path, AdapterOptions()):
            assert isinstance(item, ParsedSession), item
            got["sessions"] += 1
            got["calls"] += sum(e.kind == "tool_call" for e in item.events)
            got["results"] += sum(e.kind == "tool_result" for e in item.events)
            got["errors"] += sum(e.is_error for e in item.events)
            got["outcomes"] += item.outcome is not None and item.outcome.success is not None
    assert got == totals
    assert totals["sessions"] == 13


def test_openhands_identity_outcome_and_pairing(real_data: Path) -> None:
    path = next((real_data / "openhands").rglob("ProntoQA/*/output.jsonl"))
    runs = raw_runs(path)
    sessions = list(ADAPTER.parse(path, AdapterOptions()))
    for run, parsed in zip(runs, sessions, strict=True):
        assert parsed.session.native_id == str(run["id"])
        assert parsed.outcome.success is run["test_result"]["result"]
        meta = run.get("metadata") or {}
        folder = json.loads((path.parent / "metadata.json").read_text())
        model = meta.get("model_name") or folder["Model name"]
        assert parsed.session.model == model  # from the run's metadata or metadata.json
        assert parsed.session.agent == f"openhands/CodeActAgent/{model.rsplit('/', 1)[-1]}"
        calls = {e.call_id for e in parsed.events if e.kind == "tool_call"}
        assert all(e.call_id in calls for e in parsed.events if e.kind == "tool_result")
        assert all(e.source.line == runs.index(run) + 1 for e in parsed.events)
    swe = next((real_data / "openhands").rglob("multi_swe_bench/examples/output.jsonl"))
    first = next(iter(ADAPTER.parse(swe, AdapterOptions(agent="x"))))
    assert first.session.agent == "x"
    assert any(e.exit_code == 127 and e.is_error for e in first.events)
    assert any(e.usage and e.usage.input_tokens for e in first.events)
