"""Helpers for the privacy tests: Claude Code transcripts written by the test, the CLI, bytes.

Transcripts are written with :class:`reverie.synth.Transcript`, in the real
Claude Code JSONL layout: one file per session in a folder named after its
agent, tool calls and results as ``tool_use`` / ``tool_result`` blocks.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reverie import synth
from reverie.cli import app


def Transcript(session: str, cwd: str, start: datetime | None = None) -> synth.Transcript:
    """One Claude Code session with reproducible ids (see :class:`reverie.synth.Transcript`)."""
    return synth.Transcript(session, cwd, start, step=timedelta(seconds=5))


def session_id(name: str) -> str:
    """A stable UUID-shaped native session id for a readable name."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, name))


CREDO_ERROR = (
    "Exit code 1\nPre-commit validation failed: [CREDO] Found 3 refactoring opportunities.\n"
    "Run the strict checks and commit again."
)
CREDO_DIRECTIVE = "Run `mix credo --strict` before `git commit`."


def credo_motif(t: synth.Transcript, extra_output: str = "") -> synth.Transcript:
    """The planted 'commit before the strict credo check' failure, then its fix and the retry.

    Its fix (``mix credo --strict`` run first) restates no seeded rule, so the
    dream proposes it as a rule of its own (a formatter run first would merge
    into seeded R-0001 instead).
    """
    t.bash("git commit -m 'wip'", CREDO_ERROR + extra_output, error=True)
    t.bash("mix credo --strict", "", error=False)
    return t.bash("git commit -m 'wip'", "[main 1a2b3c4] wip", error=False)


FORMAT_ERROR = (
    "Exit code 1\nPre-commit validation failed: [FORMAT] Code is not formatted.\n"
    "Run the formatter and commit again."
)


def format_motif(t: synth.Transcript, extra_output: str = "") -> synth.Transcript:
    """The planted 'commit before formatting' failure, then `mix format` and the retry.

    Its fix restates seeded rule R-0001: the dream merges it into that rule
    (an entry in the tenant's audit log), never a rule of its own.
    """
    t.bash("git commit -m 'fmt'", FORMAT_ERROR + extra_output, error=True)
    t.bash("mix format", "", error=False)
    return t.bash("git commit -m 'fmt'", "[main 4d5e6f7] fmt", error=False)


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
    credo_motif = staticmethod(credo_motif)
    format_motif = staticmethod(format_motif)
    run_cli = staticmethod(run_cli)
    files_holding = staticmethod(files_holding)
    set_toml = staticmethod(set_toml)
    CREDO_ERROR = CREDO_ERROR
    CREDO_DIRECTIVE = CREDO_DIRECTIVE


@pytest.fixture
def kit() -> type[Kit]:
    return Kit
