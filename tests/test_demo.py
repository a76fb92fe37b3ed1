"""The README's main job (`make demo` runs `reverie demo`) works end to end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reverie.cli import app
from reverie.demo import find_sessions


def test_demo_on_real_sessions(real_data: Path, tmp_path: Path, cli: CliRunner) -> None:
    result = cli.invoke(app, ["demo", "--dir", str(tmp_path / "demo"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["source_kind"] == "real"
    formats = out["ingest"]["formats"]
    assert set(formats) >= {"claude-code", "mini-swe-agent", "openhands", "otel-genai",
                            "swe-agent", "openai-chat"}
    assert out["ingest"]["malformed"] == [] and out["ingest"]["errors"] == []


def test_demo_given_path_that_does_not_exist(tmp_path: Path, cli: CliRunner) -> None:
    missing = tmp_path / "no-such-sessions"
    result = cli.invoke(app, ["demo", "--dir", str(tmp_path / "demo"), "--sessions",
                              str(missing), "--json"])
    assert result.exit_code == 2 and "no-such-sessions" in result.output


def test_demo_generates_a_corpus_without_real_data(tmp_path: Path) -> None:
    source, kind = find_sessions(None, tmp_path, search=())
    assert kind == "generated" and source.is_dir()
    assert len(list(source.rglob("*.jsonl"))) == 12
