"""mini-swe-agent and SWE-agent: counts derived from the raw trajectories and reports."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from reverie.adapters.base import AdapterOptions
from reverie.adapters.mini_swe_agent import ADAPTER as MINI
from reverie.adapters.swe_agent import ADAPTER as SWE
from reverie.models import ParsedSession

NOTICES = (
    "Your proposed edit has introduced new syntax error",
    "command not found",
    "No such file or directory",
)


def one(adapter, path: Path, **options) -> ParsedSession:
    (item,) = list(adapter.parse(path, AdapterOptions(**options)))
    assert isinstance(item, ParsedSession)
    return item


def test_mini_swe_agent_counts_and_resolved(real_data: Path) -> None:
    trajs = sorted((real_data / "mini_swe_agent" / "trajs").glob("*/*.traj.json"))
    assert len(trajs) == 15
    for path in trajs:
        raw = json.loads(path.read_text())
        msgs = raw["messages"]
        report = json.loads(
            (real_data / "mini_swe_agent" / "logs" / raw["instance_id"] / "report.json").read_text()
        )
        calls = sum(1 for m in msgs if m["role"] == "assistant" and "```bash\n" in m["content"])
        codes = [
            re.search(r"<returncode>(-?\d+)</returncode>", m["content"])
            for m in msgs
            if m["role"] == "user"
        ]
        failed = sum(1 for c in codes if c and c.group(1) != "0")
        parsed = one(MINI, path)
        kinds = [e.kind for e in parsed.events]
        assert kinds.count("tool_call") == calls
        assert kinds.count("tool_result") == calls
        assert sum(e.is_error for e in parsed.events) == failed
        assert parsed.outcome is not None and parsed.outcome.success is report["resolved"]
        assert parsed.session.attrs["instance_id"] == raw["instance_id"]
        assert parsed.session.native_id == raw["instance_id"]
        assert parsed.session.agent == "mini-swe-agent/gemini-3-pro"
        assert all(e.usage for e in parsed.events if e.role == "assistant")


def test_mini_swe_agent_report_next_to_traj(real_data: Path, tmp_path: Path) -> None:
    src = next((real_data / "mini_swe_agent" / "trajs").glob("*/*.traj.json"))
    instance = json.loads(src.read_text())["instance_id"]
    shutil.copy(src, tmp_path / src.name)
    assert one(MINI, tmp_path / src.name).outcome.success is None  # no report: no verdict
    (tmp_path / "results.json").write_text(json.dumps({"resolved": [], "unresolved": [instance]}))
    assert one(MINI, tmp_path / src.name).outcome.success is False


def test_swe_agent_counts(real_data: Path) -> None:
    trajs = sorted((real_data / "swe_agent").rglob("*.traj"))
    assert len(trajs) == 6
    for path in trajs:
        raw = json.loads(path.read_text())
        steps = raw["trajectory"]
        errors = sum(
            1
            for s in steps
            if any(n in s["observation"] for n in NOTICES)
            or re.search(r"^(Error|ERROR)\b|^Usage: ", s["observation"], re.M)
        )
        parsed = one(SWE, path)
        kinds = [e.kind for e in parsed.events]
        assert kinds.count("tool_call") == kinds.count("tool_result") == len(steps)
        assert sum(e.is_error for e in parsed.events) == errors
        assert parsed.outcome.success is None  # the sample has no SWE-bench report
        assert parsed.outcome.detail == f"exit_status={raw['info']['exit_status']}"
        assert parsed.session.attrs["usage"]["api_calls"] == raw["info"]["model_stats"]["api_calls"]
        assert parsed.session.native_id == path.stem
        assert parsed.session.attrs["run"] == path.parent.name
        # the model comes from the data: the run folder (`<model>__<dataset>__...`), the 1.x
        # replay config, or, for a demonstration that made no API call, a replay
        config = raw.get("replay_config") or {}
        config = json.loads(config) if isinstance(config, str) else config
        model = ((config.get("agent") or {}).get("model") or {}).get("name")
        if model is None and "__" in path.parent.name:
            model = path.parent.name.split("__")[0]
        if model is None and raw["info"]["model_stats"]["api_calls"] == 0:
            model = "replay"
        assert parsed.session.agent == f"swe-agent/{model}" and parsed.session.model == model


def test_swe_agent_identity_and_results_file(real_data: Path, tmp_path: Path) -> None:
    path = next((real_data / "swe_agent").rglob("pydicom__pydicom-1458.traj"))
    parsed = one(SWE, path)
    assert parsed.session.agent == "swe-agent/gpt4"
    assert parsed.events[0].trust == "operator" and parsed.events[1].trust == "user"
    assert one(SWE, path, agent="other").session.agent == "other"
    shutil.copy(path, tmp_path / path.name)
    (tmp_path / "results.json").write_text(json.dumps({"resolved": ["pydicom__pydicom-1458"]}))
    assert one(SWE, tmp_path / path.name).outcome.success is True
