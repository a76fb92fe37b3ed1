"""Helpers for the privacy tests: Claude Code transcripts written by the test, the CLI, bytes.

Transcripts are generated here (like :mod:`reverie.synth`), in the real
Claude Code JSONL layout: one file per session in a folder named after its
agent, tool calls and results as ``tool_use`` / ``tool_result`` blocks.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reverie.cli import app


class Transcript:
    """One Claude Code session, built step by step and written as JSONL."""

    def __init__(self, session: str, cwd: str, start: datetime | None = None):
        self.session, self.cwd = session, cwd
        self.clock = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self.parent: str | None = None
        self.rows: list[dict[str, Any]] = []
        self.n = 0

    def _row(self, kind: str, message: dict[str, Any]) -> None:
        self.n += 1
        uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.session}/{self.n}"))
        self.clock += timedelta(seconds=5)
        self.rows.append(
            {
                "parentUuid": self.parent,
                "isSidechain": False,
                "userType": "external",
                "cwd": self.cwd,
                "sessionId": self.session,
                "version": "2.1.39",
                "gitBranch": "main",
                "type": kind,
                "message": message,
                "uuid": uid,
                "timestamp": self.clock.isoformat().replace("+00:00", "Z"),
            }
        )
        self.parent = uid

    def user(self, text: str) -> Transcript:
        self._row("user", {"role": "user", "content": text})
        return self

    def tool(self, name: str, tool_input: dict[str, Any], output: str, error: bool) -> Transcript:
        call = f"toolu_{self.session[:8]}_{self.n}"
        self._row(
            "assistant",
            {
                "model": "claude-sonnet-4-5",
                "id": f"msg_{self.session[:8]}_{self.n}",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "tool_use", "id": call, "name": name, "input": tool_input}],
                "usage": {"input_tokens": 900, "output_tokens": 40},
            },
        )
        self._row(
            "user",
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": call, "content": output,
                     "is_error": error}
                ],
            },
        )  # fmt: skip
        return self

    def bash(self, command: str, output: str, error: bool = False) -> Transcript:
        return self.tool("Bash", {"command": command, "description": "run"}, output, error)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.session}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in self.rows) + "\n")
        return path


def session_id(name: str) -> str:
    """A stable UUID-shaped native session id for a readable name."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, name))


FORMAT_ERROR = (
    "Exit code 1\nPre-commit validation failed: [FORMAT] Code is not formatted.\n"
    "Run the formatter and commit again."
)


def format_motif(t: Transcript, extra_output: str = "") -> Transcript:
    """The planted 'commit before formatting' failure, then its fix and the retry."""
    t.bash("git commit -m 'wip'", FORMAT_ERROR + extra_output, error=True)
    t.bash("mix format", "", error=False)
    return t.bash("git commit -m 'wip'", "[main 1a2b3c4] wip", error=False)


def run_cli(cli: CliRunner, *args: str, code: int = 0) -> str:
    """Run ``reverie ARGS``; assert the exit code; return stdout."""
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output, result.exception)
    return result.stdout


def files_holding(root: Path, needle: bytes) -> list[str]:
    """Every file under ``root`` (the store, its WAL and SHM included) whose bytes hold needle."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and needle in p.read_bytes()
    )


def set_toml(root: Path, section: str, key: str, value: str) -> None:
    """Set ``[section] key = value`` in the workspace's reverie.toml (value is TOML text)."""
    path = root / "reverie.toml"
    lines = path.read_text().splitlines()
    heads = [i for i, line in enumerate(lines) if line.split("#")[0].strip() == f"[{section}]"]
    start = heads[0] if heads else None
    if start is None:
        lines += ["", f"[{section}]", f"{key} = {value}"]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")),
                   len(lines))  # fmt: skip
        for i in range(start + 1, end):
            if lines[i].split("=")[0].strip() == key:
                lines[i] = f"{key} = {value}"
                break
        else:
            lines.insert(start + 1, f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def planted_values() -> Callable[[int], list[tuple[str, str, str]]]:
    """``planted(seed)`` of test_redact.py: (class, value, line) for every secret / PII class."""
    path = Path(__file__).with_name("test_redact.py")
    spec = importlib.util.spec_from_file_location("privacy_planted", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.planted


class Kit:
    """The helpers above, handed to tests as the ``kit`` fixture."""

    Transcript = Transcript
    session_id = staticmethod(session_id)
    format_motif = staticmethod(format_motif)
    run_cli = staticmethod(run_cli)
    files_holding = staticmethod(files_holding)
    set_toml = staticmethod(set_toml)
    FORMAT_ERROR = FORMAT_ERROR


@pytest.fixture
def kit() -> type[Kit]:
    return Kit
