"""Claude Code ingest on the real sample, checked against counts taken from the raw files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.ingest.pipeline import ingest_paths
from reverie.settings import Settings
from reverie.store import GraphStore
from reverie.workspace import Workspace


def _raw_counts(folder: Path) -> dict[str, int]:
    """Count sessions, tool calls and tool errors straight from the JSONL, no adapter."""
    calls: set[str] = set()
    errors: set[str] = set()
    sessions: set[str] = set()
    for path in sorted(folder.rglob("*.jsonl")):
        for raw in path.read_text().splitlines():
            obj = json.loads(raw)
            if obj.get("sessionId"):
                key = obj["sessionId"]
                if obj.get("isSidechain") and obj.get("agentId"):
                    key += "/" + obj["agentId"]
                sessions.add(key)
            content = (obj.get("message") or {}).get("content")
            for block in content if isinstance(content, list) else []:
                if block.get("type") == "tool_use":
                    calls.add(key + block["id"])
                if block.get("type") == "tool_result" and block.get("is_error"):
                    errors.add(key + block["tool_use_id"])
    return {"sessions": len(sessions), "tool_calls": len(calls), "tool_errors": len(errors)}


def test_real_claude_code_counts(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace
) -> None:
    folder = real_data / "claude_code"
    summary = ingest_paths(space, space.tenant, [folder])
    raw = _raw_counts(folder)
    stats = store.stats(workspace.tenant)
    assert summary.malformed == [] and summary.errors == []
    assert summary.formats == {"claude-code": 9}
    assert stats.sessions == raw["sessions"] == 9  # 5 main sessions + 4 subagent files
    assert stats.tool_calls == raw["tool_calls"]
    assert stats.tool_errors == raw["tool_errors"]
    assert stats.events_by_kind["tool_result"] == stats.tool_calls  # every call answered


def test_reingest_is_a_noop(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace
) -> None:
    first = ingest_paths(space, space.tenant, [real_data / "claude_code"])
    again = ingest_paths(space, space.tenant, [real_data / "claude_code"])
    forced = ingest_paths(space, space.tenant, [real_data / "claude_code"], force=True)
    assert first.new_events == store.stats(workspace.tenant).events > 1000
    assert again.new_events == 0 and again.unchanged_files == 9
    assert again.formats == first.formats == {"claude-code": 9}
    assert forced.new_events == 0 and forced.events == first.events


def test_an_unchanged_file_is_not_read_again(
    real_data: Path, space: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its size and time match the store's record: skipped before its format is sniffed."""
    ingest_paths(space, space.tenant, [real_data / "claude_code"])
    import reverie.ingest.pipeline as pipeline

    def refuse(path: Path, head: bytes | None = None) -> None:
        raise AssertionError(f"{path} was read again")

    monkeypatch.setattr(pipeline, "detect", refuse)
    again = ingest_paths(space, space.tenant, [real_data / "claude_code"])
    assert again.unchanged_files == 9 and again.formats == {"claude-code": 9}


def test_grown_file_adds_only_new_events(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    lines = (real_data / "claude_code" / "tool_heavy.jsonl").read_bytes().splitlines(True)
    target = tmp_path / "grow.jsonl"
    target.write_bytes(b"".join(lines[:20]))
    first = ingest_paths(space, space.tenant, [target])
    target.write_bytes(b"".join(lines))
    second = ingest_paths(space, space.tenant, [target])
    whole = ingest_paths(space, space.tenant, [real_data / "claude_code" / "tool_heavy.jsonl"])
    assert 0 < first.new_events < whole.events
    assert second.new_events == whole.events - first.events


def test_subagents_link_to_parent_and_task_call(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace
) -> None:
    ingest_paths(space, space.tenant, [real_data / "claude_code"])
    sessions = {s.native_id: s for s in store.sessions(workspace.tenant)}
    sub = sessions["4d5611e5-241a-462a-8d15-5122611a9569/agent-a2898e3"]
    parent = sessions["4d5611e5-241a-462a-8d15-5122611a9569"]
    assert sub.parent_id == parent.id
    assert sub.agent == "Explore"  # the subagent_type of the parent's Task call
    calls = {e.id: e for e in store.events(workspace.tenant, session_id=parent.id)}
    assert calls[sub.parent_call_event_id].tool == "Task"
    assert parent.agent == "spotter-dov"  # the project folder


def test_a_parent_too_large_to_hold_is_searched_line_by_line(
    real_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the size read whole, a subagent's parent file is scanned line by line: same links."""
    from reverie.adapters import claude_code
    from reverie.adapters.base import AdapterOptions

    def links() -> dict[str, tuple[str | None, str]]:
        claude_code._PARENTS.clear()
        found = {}
        for path in sorted((real_data / "claude_code").rglob("agent-*.jsonl")):
            for item in claude_code.ADAPTER.parse(path, AdapterOptions()):
                if hasattr(item, "session"):
                    found[item.session.native_id] = (item.session.parent_call_id,
                                                     item.session.agent)
        return found

    whole = links()
    monkeypatch.setattr(claude_code, "_WHOLE_PARENT", 100)
    assert whole and links() == whole
    assert sum(call is not None for call, _ in whole.values()) >= 2


def test_results_answer_their_calls(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace
) -> None:
    ingest_paths(space, space.tenant, [real_data / "claude_code" / "short.jsonl"])
    events = list(store.events(workspace.tenant))
    by_id = {e.id: e for e in events}
    results = [e for e in events if e.kind == "tool_result"]
    assert results and all(by_id[r.answers_id].call_id == r.call_id for r in results)
    assert all(e.source.line > 0 and e.source.file.endswith("short.jsonl") for e in events)
    rejected = [r for r in results if r.is_error]
    assert len(rejected) == 2 and "doesn't want to proceed" in rejected[0].text
    graph = store.to_networkx(workspace.tenant, max_events=5)
    assert sum(1 for _, d in graph.nodes(data=True) if d["label"] == "Event") == 5
