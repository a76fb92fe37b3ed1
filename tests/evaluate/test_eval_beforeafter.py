"""Before/after a known deployment on generated corpora, the render record, and the plot."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import orjson
import pytest
from typer.testing import CliRunner

from reverie.cli import app

DEPLOYED = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)  # START + 40 sessions x 6 hours (conftest)
Planted = Any


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _eval(ws: Path, *extra: str) -> dict:
    return json.loads(run("eval", "-w", str(ws), "--json", *extra))


def test_the_deployment_date_is_the_fixtures(deployed: datetime) -> None:
    assert deployed == DEPLOYED


def _change(report: dict, metric: str) -> dict:
    return next(c for c in report["before_after"]["changes"] if c["metric"] == metric)


def test_planted_improvement_is_significant(improved: Planted) -> None:
    report = _eval(improved.root, "--deployed-at", DEPLOYED.isoformat())
    ba = report["before_after"]
    assert ba["rules"] == [improved.rule]
    assert ba["before"]["sessions"] > 20 and ba["after"]["sessions"] > 20
    targeted = _change(report, "targeted_session_rate")
    assert targeted["before"] > 0.2 and targeted["after"] == 0
    assert targeted["significant"] and targeted["difference"]["high"] < 0
    rule = ba["per_rule"][0]
    assert rule["id"] == improved.rule and rule["significant"]
    assert rule["before"]["n"] == ba["before"]["sessions"]
    assert _change(report, "avoidable_tokens_per_session")["difference"]["high"] < 0


def test_no_change_shows_no_effect(unchanged: Planted) -> None:
    report = _eval(unchanged.root, "--deployed-at", DEPLOYED.isoformat())
    targeted = _change(report, "targeted_session_rate")
    assert targeted["before"] > 0.2 and targeted["after"] > 0.2
    d = targeted["difference"]
    assert d["low"] < 0 < d["high"] and not targeted["significant"]
    assert not report["before_after"]["per_rule"][0]["significant"]


def test_deployment_date_comes_from_the_latest_render_record(improved: Planted) -> None:
    run("render", "-w", str(improved.root), "system_prompt")
    log = improved.root / ".reverie" / "renders.jsonl"
    records = [orjson.loads(line) for line in log.read_bytes().splitlines() if line.strip()]
    records[-1]["at"] = DEPLOYED.isoformat()  # as if this render went live on that date
    log.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    report = _eval(improved.root)
    ba = report["before_after"]
    assert ba["source"].startswith("render record b2:")
    assert ba["deployed_at"].startswith(DEPLOYED.date().isoformat())
    assert ba["rules"] == [improved.rule]  # seeded rules in the render are not measured
    assert _change(report, "targeted_session_rate")["significant"]


def test_drift_windows_show_the_dip(improved: Planted) -> None:
    report = _eval(improved.root, "--window", "2d", "--deployed-at", DEPLOYED.isoformat())
    windows = [w for w in report["drift"]["windows"] if w["sessions"]]
    assert len(windows) >= 8
    before = [w["approved_targeted_session_rate"] for w in windows
              if w["end"] <= DEPLOYED.isoformat().replace("+00:00", "Z")]
    after = [w["approved_targeted_session_rate"] for w in windows
             if w["start"] >= DEPLOYED.isoformat().replace("+00:00", "Z")]
    assert before and after and max(before) > 0.2 and max(after) == 0


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_is_a_real_image(improved: Planted, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"drift{suffix}"
    report = _eval(improved.root, "--window", "2d", "--deployed-at", DEPLOYED.isoformat(),
                   "--plot", str(out))
    assert report["plot"] == str(out)
    data = out.read_bytes()
    if suffix == ".svg":
        assert b"<svg" in data[:1000] and len(data) > 20_000
        return
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = mpimg.imread(out)
    height, width = pixels.shape[:2]
    assert width >= 800 and height >= 600
    assert pixels[..., :3].std() > 0.05  # not blank
    # lines in colour, not only black text on white
    rgb = pixels[..., :3]
    assert ((rgb.max(axis=2) - rgb.min(axis=2)) > 0.3).mean() > 0.002


def test_plot_rejects_other_formats(improved: Planted, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "-w", str(improved.root), "--plot",
                                      str(tmp_path / "x.jpg")])
    assert result.exit_code != 0 and ".png or .svg" in result.output
