"""Malformed lines are set aside and reported; bad files are errors; nothing half-written."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from reverie.cli import app
from reverie.ingest.pipeline import ingest_paths
from reverie.settings import Settings
from reverie.store import GraphStore
from reverie.synth import write_corpus
from reverie.workspace import Workspace


def test_truncated_and_array_lines_are_reported(
    real_data: Path, workspace: Settings, store: GraphStore, space: Workspace, tmp_path: Path,
    cli: CliRunner,
) -> None:
    lines = (real_data / "claude_code" / "short.jsonl").read_text().splitlines()
    broken = [*lines[:5], lines[5][: len(lines[5]) // 2], *lines[5:9], "[1, 2, 3]", *lines[9:]]
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(broken) + "\n")
    result = cli.invoke(app, ["ingest", str(path), "-w", str(workspace.root), "--json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.output)
    assert [(m["line"], m["reason"].split(":")[0]) for m in summary["malformed"]] == [
        (6, "invalid JSON"),
        (11, "expected a JSON object, got an array"),
    ]
    clean = ingest_paths(space, "clean", [real_data / "claude_code" / "short.jsonl"])
    assert summary["events"] == clean.events and summary["sessions"] == 1


def test_not_a_transcript_is_a_clear_error(
    workspace: Settings, tmp_path: Path, cli: CliRunner
) -> None:
    path = tmp_path / "notes.json"
    path.write_text('{"hello": "world"}\n')
    result = cli.invoke(app, ["ingest", str(path), "-w", str(workspace.root)])
    assert result.exit_code == 1
    assert "notes.json" in result.output and "not a transcript" in result.output
    assert "claude-code" in result.output  # the formats it tried


def test_missing_workspace_says_how_to_make_one(tmp_path: Path, cli: CliRunner) -> None:
    os.chdir(tmp_path)
    result = cli.invoke(app, ["stats"])
    assert result.exit_code == 2
    assert "reverie init" in result.output


def test_sigkill_mid_file_leaves_store_consistent(workspace: Settings, tmp_path: Path) -> None:
    small = write_corpus(tmp_path / "corpus" / "a", sessions=1, steps=5, seed=1)
    big = write_corpus(tmp_path / "corpus" / "b", sessions=1, steps=20_000, seed=2)
    reverie = [sys.executable, "-m", "reverie", "ingest", "-w", str(workspace.root)]
    proc = subprocess.Popen(
        [*reverie, str(small.files[0]), str(big.files[0])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = workspace.db_path
    # Wait (bounded) until the first file is committed, then kill during the second.
    committed = 0
    for _ in range(2000):
        try:
            with sqlite3.connect(db) as conn:
                committed = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
        except sqlite3.OperationalError:
            committed = 0
        if committed >= 1 or proc.poll() is not None:
            break
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.02)
    assert proc.poll() is None, "ingest finished before it could be killed; use a bigger file"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == small.events
    rerun = subprocess.run(
        [*reverie, str(small.files[0]), str(big.files[0]), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(rerun.stdout)
    assert summary["new_events"] == big.events and summary["unchanged_files"] == 1
    with sqlite3.connect(db) as conn:
        assert (
            conn.execute("SELECT count(*) FROM events").fetchone()[0] == small.events + big.events
        )
