"""Runs are never merged: session identity across models, reruns, copies and growth.

The real sample ``swe_agent_multimodel/`` holds 5 models on the same 15 tasks,
one folder per model, so every instance id appears 5 times. Expected counts
here are computed from the raw files (json + yaml), never from the adapter.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from reverie.ingest.pipeline import ingest_paths
from reverie.mine import mine
from reverie.settings import Settings
from reverie.store import GraphStore, open_store
from reverie.workspace import Workspace, init_workspace

MULTI = "swe_agent_multimodel"


def _raw_runs(folder: Path) -> list[dict]:
    """One record per trajectory file, read straight from the JSON and YAML."""
    runs = []
    for run_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        meta = yaml.safe_load((run_dir / "metadata.yaml").read_text())
        model = meta["name"].split("+", 1)[1].strip()
        results = json.loads((run_dir / "results" / "results.json").read_text())
        for traj in sorted((run_dir / "trajs").glob("*.traj")):
            doc = json.loads(traj.read_text())
            steps = doc["trajectory"]
            history = [m for m in doc["history"] if not m.get("is_demo")]
            preamble = 0
            for msg in history:  # the system prompt(s), then the task
                preamble += 1
                if msg["role"] != "system":
                    break
            thoughts = sum(1 for s in steps if (s.get("thought") or s.get("response")))
            instance = traj.stem
            if instance in results["resolved"]:
                success = True
            elif any(instance in results[k] for k in ("unresolved_ids", "empty_patch_ids",
                                                      "error_ids")):
                success = False
            else:
                success = None
            runs.append(
                {
                    "model": model,
                    "folder": run_dir.name,
                    "instance": instance,
                    "calls": len(steps),
                    "events": preamble + thoughts + 2 * len(steps),
                    "success": success,
                    "javac": any(
                        "javac: command not found" in str(s.get("observation")) for s in steps
                    ),
                }
            )
    return runs


@pytest.fixture(scope="module")
def raw(real_data: Path) -> list[dict]:
    runs = _raw_runs(real_data / MULTI)
    assert len(runs) == 75 and len({r["model"] for r in runs}) == 5
    return runs


def _check_store(store: GraphStore, tenant: str, raw: list[dict], agents: set[str]) -> None:
    stats = store.stats(tenant)
    assert stats.sessions == len(raw) == 75
    assert stats.agents == 5
    assert stats.events == sum(r["events"] for r in raw)
    assert stats.tool_calls == sum(r["calls"] for r in raw)
    sessions = store.sessions(tenant)
    assert {s.agent for s in sessions} == agents
    assert len({s.id for s in sessions}) == 75
    # every (model, instance) pair is its own session, labelled with its own model
    assert sorted((s.model, s.native_id) for s in sessions) == sorted(
        (r["model"], r["instance"]) for r in raw
    )
    outcomes = store.outcomes(tenant)
    by_run = {(s.model, s.native_id): outcomes[s.id].success for s in sessions}
    assert by_run == {(r["model"], r["instance"]): r["success"] for r in raw}


def test_multimodel_folder_is_75_sessions_of_5_models(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace, raw: list[dict]
) -> None:
    summary = ingest_paths(space, space.tenant, [real_data / MULTI], workers=1)
    assert summary.sessions == 75 and summary.new_events == summary.events
    assert summary.formats == {"swe-agent": 75, "outcome-report": 5}
    assert summary.skipped == [] and summary.errors == [] and summary.collisions == []
    _check_store(store, workspace.tenant, raw, {f"swe-agent/{r['model']}" for r in raw})
    again = ingest_paths(space, space.tenant, [real_data / MULTI], workers=1, force=True)
    assert again.new_events == 0 and again.collisions == []
    assert store.stats(workspace.tenant).sessions == 75


def test_multimodel_model_by_model_with_agent(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace, raw: list[dict]
) -> None:
    for run_dir in sorted(p for p in (real_data / MULTI).iterdir() if p.is_dir()):
        agent = run_dir.name.split("SWE-agent_", 1)[1]
        summary = ingest_paths(space, space.tenant, [run_dir], agent=agent, workers=1)
        assert summary.sessions == 15 and summary.new_events == summary.events
    agents = {r["folder"].split("SWE-agent_", 1)[1] for r in raw}
    _check_store(store, workspace.tenant, raw, agents)


def test_missing_jdk_motif_spans_all_five_models(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace, raw: list[dict]
) -> None:
    ingest_paths(space, space.tenant, [real_data / MULTI], workers=1)
    motifs = mine(store, workspace.tenant, min_sessions=2)
    jdk = [m for m in motifs if (m.cause or {}).get("group") == "java"]
    expected = [r for r in raw if r["javac"]]
    assert len(expected) == 37
    assert len(jdk) == 1
    sessions = {s.id: (s.model, s.native_id) for s in store.sessions(workspace.tenant)}
    covered = {sessions[sid] for sid in jdk[0].sessions}
    assert {(r["model"], r["instance"]) for r in expected} <= covered
    assert len(jdk[0].agents) == len({r["model"] for r in expected}) == 5


def test_outcome_report_arriving_after_its_runs(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path,
    raw: list[dict],
) -> None:
    source = real_data / MULTI / "20240825_SWE-agent_gpt-4o-2024-05-13"
    run = tmp_path / source.name
    shutil.copytree(source / "trajs", run / "trajs")
    shutil.copy(source / "metadata.yaml", run / "metadata.yaml")
    first = ingest_paths(space, space.tenant, [run], workers=1)
    assert first.sessions == 15
    before = store.outcomes(workspace.tenant)
    assert all(o.success is None for o in before.values())  # exit status only
    (run / "results").mkdir()
    shutil.copy(source / "results" / "results.json", run / "results" / "results.json")
    second = ingest_paths(space, space.tenant, [run], workers=1)
    assert second.formats == {"swe-agent": 15, "outcome-report": 1}
    assert second.unchanged_files == 15 and second.outcomes == 15
    after = {s.native_id: store.outcomes(workspace.tenant)[s.id].success
             for s in store.sessions(workspace.tenant)}
    mine_raw = {r["instance"]: r["success"] for r in raw if r["folder"] == source.name}
    assert after == mine_raw
    third = ingest_paths(space, space.tenant, [run], workers=1)
    assert third.unchanged_files == 16 and third.outcomes == 0



def test_outcomes_attach_where_the_stored_paths_were_redacted(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path,
    raw: list[dict],
) -> None:
    """A run under a folder named for a person: the stored paths hold a placeholder, and the
    report (ingested later) is matched to its runs in that form, never stored raw."""
    source = real_data / MULTI / "20240825_SWE-agent_gpt-4o-2024-05-13"
    run = tmp_path / "ana.lopez@example.com" / source.name
    shutil.copytree(source / "trajs", run / "trajs")
    shutil.copy(source / "metadata.yaml", run / "metadata.yaml")
    ingest_paths(space, space.tenant, [run], workers=1)
    (run / "results").mkdir()
    shutil.copy(source / "results" / "results.json", run / "results" / "results.json")
    second = ingest_paths(space, space.tenant, [run], workers=1)
    assert second.outcomes == 15
    outcomes = store.outcomes(workspace.tenant)
    assert {s.native_id: outcomes[s.id].success for s in store.sessions(workspace.tenant)} == {
        r["instance"]: r["success"] for r in raw if r["folder"] == source.name}
    assert all("ana.lopez" not in (o.source.file if o.source else "") for o in outcomes.values())
    assert "ana.lopez" not in "".join(s.source_file for s in store.sessions(workspace.tenant))
    assert ingest_paths(space, space.tenant, [run], workers=1).unchanged_files == 16

def test_report_of_another_run_folder_is_not_attached(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    a = real_data / MULTI / "20240825_SWE-agent_deepseek-coder-v2"
    ingest_paths(space, space.tenant, [a / "trajs"], workers=1)
    other = tmp_path / "elsewhere" / "results"
    other.mkdir(parents=True)
    shutil.copy(a / "results" / "results.json", other / "results.json")
    summary = ingest_paths(space, space.tenant, [other], workers=1)
    assert summary.formats == {"outcome-report": 1} and summary.outcomes == 0


# -- generated runs: the same native id, different content -------------------------------

_STEP = st.tuples(
    st.sampled_from(["ls", "pytest -x", "git status", "make", "cat a.py"]),
    st.sampled_from(["ok", "1 failed", "command not found", ""]),
)
_RUN = st.lists(_STEP, min_size=1, max_size=6)


def _native(path: Path, native_id: str, agent: str, steps: list[tuple[str, str]]) -> None:
    lines = [{"reverie": 1, "session": native_id, "kind": "session", "agent": agent}]
    for i, (cmd, out) in enumerate(steps):
        lines.append({"reverie": 1, "session": native_id, "kind": "tool_call", "tool": "bash",
                      "input": {"command": cmd}, "call_id": f"c{i}", "id": f"e{2 * i}"})
        lines.append({"reverie": 1, "session": native_id, "kind": "tool_result",
                      "call_id": f"c{i}", "text": out, "is_error": out != "ok",
                      "id": f"e{2 * i + 1}"})
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))


def _swe(path: Path, steps: list[tuple[str, str]]) -> None:
    doc = {
        "environment": "swe_main",
        "history": [{"role": "system", "content": "sys"}, {"role": "user", "content": "task"}],
        "trajectory": [
            {"action": cmd, "observation": out, "thought": "", "response": "", "state": "{}"}
            for cmd, out in steps
        ],
        "info": {"exit_status": "submitted"},
    }
    path.write_bytes(orjson.dumps(doc))


@hsettings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=_RUN, b=_RUN, layout=st.sampled_from(["native", "swe"]))
def test_two_runs_with_one_native_id_never_share(
    tmp_path_factory: pytest.TempPathFactory, a: list, b: list, layout: str
) -> None:
    if a == b:
        return
    root = tmp_path_factory.mktemp("runs")
    settings = init_workspace(root / "ws")
    store = open_store(settings)
    try:
        files = []
        for name, steps in (("one", a), ("two", b)):
            folder = root / name / ("trajs" if layout == "swe" else "")
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / ("task-1.traj" if layout == "swe" else "log.jsonl")
            if layout == "swe":
                _swe(path, steps)
            else:
                _native(path, "task-1", "bot", steps)
            files.append(path)
        ws = Workspace(settings, store=store)
        first = ingest_paths(ws, ws.tenant, files, agent="bot", workers=1)
        sessions = store.sessions(settings.tenant)
        assert first.sessions == 2 and len(sessions) == 2
        assert {(s.native_id, s.agent) for s in sessions} == {("task-1", "bot")}
        events = list(store.events(settings.tenant))
        assert len(events) == first.events == first.new_events
        assert len({e.id for e in events}) == len(events)
        preamble = 2 if layout == "swe" else 0  # system prompt and task
        lengths = sorted(sum(e.session_id == s.id for e in events) for s in sessions)
        assert lengths == sorted(preamble + 2 * len(steps) for steps in (a, b))
        again = ingest_paths(ws, ws.tenant, files, agent="bot", workers=1, force=True)
        assert again.new_events == 0 and again.collisions == []
        assert store.stats(settings.tenant).sessions == 2
    finally:
        store.close()


def test_grown_file_keeps_its_session_and_a_copy_is_the_same_session(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    _native(log, "task-1", "bot", [("ls", "ok")])  # one call, one result
    first = ingest_paths(space, space.tenant, [log], workers=1)
    [session] = store.sessions(workspace.tenant)
    _native(log, "task-1", "bot", [("ls", "ok"), ("pytest -x", "1 failed"), ("make", "ok")])
    grown = ingest_paths(space, space.tenant, [log], workers=1)
    assert grown.new_events == 4 and first.new_events == 2
    assert [s.id for s in store.sessions(workspace.tenant)] == [session.id]
    copy = tmp_path / "copy" / "log.jsonl"
    copy.parent.mkdir()
    shutil.copy(log, copy)
    copied = ingest_paths(space, space.tenant, [copy], workers=1)
    assert copied.new_events == 0 and copied.sessions == 1
    assert [s.id for s in store.sessions(workspace.tenant)] == [session.id]


def test_rewritten_file_with_another_run_is_a_new_session(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    _native(log, "task-1", "bot", [("ls", "ok"), ("make", "ok")])
    ingest_paths(space, space.tenant, [log], workers=1)
    _native(log, "task-1", "bot", [("ls", "ok"), ("pytest -x", "1 failed")])
    again = ingest_paths(space, space.tenant, [log], workers=1)
    assert again.new_events == 4  # a different run: all its events are its own
    assert len(store.sessions(workspace.tenant)) == 2


def _claude_line(session: str, uuid: str, parent: str | None, text: str) -> dict:
    return {
        "type": "user", "uuid": uuid, "parentUuid": parent, "sessionId": session,
        "timestamp": "2026-01-01T00:00:00Z", "cwd": "/work/app",
        "message": {"role": "user", "content": text},
    }


def test_two_files_claiming_one_run_unique_id_are_a_collision(
    workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path
) -> None:
    sid = "0b5cbd52-8a5e-4d6f-9c8e-2f1a3b4c5d6e"
    a, b = tmp_path / "a" / f"{sid}.jsonl", tmp_path / "b" / f"{sid}.jsonl"
    for path, uuids in ((a, ("u1", "u2")), (b, ("v1", "v2"))):
        path.parent.mkdir()
        lines = [_claude_line(sid, uuids[0], None, "hello"),
                 _claude_line(sid, uuids[1], uuids[0], "fix the test")]
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    first = ingest_paths(space, space.tenant, [a], workers=1)
    second = ingest_paths(space, space.tenant, [b], workers=1)
    assert first.collisions == []
    [collision] = second.collisions
    assert collision["native_id"] == sid and collision["existing_file"] == str(a.resolve())
    assert second.new_events == 2
    sessions = store.sessions(workspace.tenant)
    assert len(sessions) == 2 and collision["new_id"] in {s.id for s in sessions}
    again = ingest_paths(space, space.tenant, [b], workers=1, force=True)
    assert again.new_events == 0 and again.collisions == []
    assert store.find_session(workspace.tenant, sid) is None  # two runs: ambiguous
