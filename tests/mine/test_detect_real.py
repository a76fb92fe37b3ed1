"""Detection on the shared real transcripts: every expected count is read from the raw files.

Time-outs, shell syntax errors, scaffold format errors and the scaffolds' error
notices are failures, so a retry that ends in one is never counted as a fix.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest

from reverie.ingest.pipeline import ingest_paths
from reverie.mine import detect_session
from reverie.models import Failure
from reverie.store import open_store
from reverie.store.mining_base import MiningEvent
from reverie.workspace import Workspace, init_workspace

Mined = tuple[list[MiningEvent], list[Failure]]


@pytest.fixture(scope="module")
def mined(tmp_path_factory, real_data: Path) -> Callable[[str], Mined]:
    """Events and detected failures of one shared folder, ingested once per module."""
    cache: dict[str, Mined] = {}

    def run(folder: str) -> Mined:
        if folder not in cache:
            ws = init_workspace(tmp_path_factory.mktemp(folder) / "ws")
            store = open_store(ws)
            try:
                summary = ingest_paths(Workspace(ws, store=store), ws.tenant, [real_data / folder])
                assert not summary.errors
                events = list(store.failure_candidates(ws.tenant))
            finally:
                store.close()
            failures = [
                f for _, group in groupby(events, key=attrgetter("session_id"))
                for f in detect_session(ws.tenant, "agent", list(group))
            ]
            cache[folder] = (events, failures)
        return cache[folder]

    return run


def _trajectories(real_data: Path, pattern: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(real_data.glob(pattern)):
        yield path, json.loads(path.read_text())


def _observations(real_data: Path, pattern: str) -> Iterator[tuple[Path, str]]:
    """Every SWE-agent step's observation, with its file."""
    for path, traj in _trajectories(real_data, pattern):
        for step in traj["trajectory"]:
            yield path, step.get("observation") or ""


def _count(failures: list[Failure], kind: str) -> tuple[int, int]:
    """(failures, sessions) of one kind."""
    of_kind = [f for f in failures if f.kind == kind]
    return len(of_kind), len({f.session_id for f in of_kind})


def test_mini_swe_agent_format_errors(real_data, mined):
    notices: Counter[str] = Counter()
    for path, traj in _trajectories(real_data, "mini_swe_agent/trajs/*/*.traj.json"):
        for message in traj["messages"]:
            if message["role"] == "user" and str(message["content"]).startswith(
                "Please always provide EXACTLY ONE action"
            ):
                notices[path.name] += 1
    _, failures = mined("mini_swe_agent")
    assert _count(failures, "format_error") == (sum(notices.values()), len(notices)) == (9, 7)
    assert {(f.detector, f.program) for f in failures if f.kind == "format_error"} == {
        ("output", None)
    }


def test_swe_agent_timeouts(real_data, mined):
    timed_out = [(p, o) for p, o in _observations(real_data, "swe_agent_multimodel/*/trajs/*.traj")
                 if o.strip() == "EXECUTION TIMED OUT"]
    _, failures = mined("swe_agent_multimodel")
    assert _count(failures, "timeout") == (len(timed_out), len({p for p, _ in timed_out}))
    assert _count(failures, "timeout") == (22, 4)


_BASH_SYNTAX = re.compile(
    r"^/bin/bash: line \d+: (?:syntax error|unexpected EOF while looking for matching)", re.M
)
_EDIT_LINT = "Your proposed edit has introduced new syntax error"


@pytest.mark.parametrize(
    ("folder", "pattern", "expected"),
    [
        ("swe_agent_multimodel", "swe_agent_multimodel/*/trajs/*.traj", (92 + 84, 10)),
        ("swe_agent", "swe_agent/**/*.traj", (5, 3)),
    ],
)
def test_swe_agent_shell_syntax_errors_and_refused_edits(real_data, mined, folder, pattern,
                                                         expected):
    shell = [p for p, o in _observations(real_data, pattern) if _BASH_SYNTAX.search(o)]
    lint = [p for p, o in _observations(real_data, pattern) if o.startswith(_EDIT_LINT)]
    _, failures = mined(folder)
    found = [f for f in failures if f.kind == "syntax_error"]
    assert len(found) == len(shell) + len(lint) == expected[0]
    assert len({f.session_id for f in found}) == len(set(shell) | set(lint)) == expected[1]


def _openhands_observations(real_data: Path) -> Iterator[dict[str, Any]]:
    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if "observation" in node and isinstance(node.get("content"), str):
                yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for path in sorted((real_data / "openhands").rglob("*.json*")):
        text = path.read_text()
        lines = text.splitlines() if path.suffix == ".jsonl" else [text]
        for line in filter(str.strip, lines):
            yield from walk(json.loads(line))


def test_openhands_editor_errors_lint_refusals_and_invalid_calls(real_data, mined):
    observations = list(_openhands_observations(real_data))
    bare = [o for o in observations if o["content"].startswith("ERROR:\n")]
    lint = [o for o in observations if _EDIT_LINT in o["content"][:100]]
    invalid = [o for o in observations if o["observation"] == "error"]
    _, failures = mined("openhands")
    notices = [f for f in failures if f.detector == "output"]
    by_kind = Counter(f.kind for f in notices)
    assert by_kind["tool_error"] + by_kind["format_error"] == len(bare) == 24
    assert by_kind["syntax_error"] == len(lint) == 8
    flagged = [f for f in failures if f.kind == "format_error" and f.detector == "is_error"]
    assert len(flagged) == len(invalid) == 2  # flagged scaffold_error: no longer skipped
    assert all(not f.text.startswith("ERROR:\n") or f.kind in ("tool_error", "format_error")
               for f in failures)


def test_swe_agent_missing_path_notices(real_data, mined):
    missing = re.compile(r"(?:File|Directory) \S+ not found\s*$")
    notices = [p for p, o in _observations(real_data, "swe_agent_multimodel/*/trajs/*.traj")
               if o.strip() and missing.match(o.strip().splitlines()[0])]
    _, failures = mined("swe_agent_multimodel")
    found = [f for f in failures if f.kind == "file_not_found" and f.detector == "output"
             and f.tool in ("open", "find_file", "search_dir")]
    assert (len(found), len({f.session_id for f in found})) == (len(notices), len(set(notices)))
    assert len(notices) == 111


def test_file_text_that_mentions_errors_is_no_failure(real_data, mined):
    """SWE-agent's ``open``/``goto``/``edit`` show source files that mention syntax errors
    and time-outs; those views are no failures."""
    events, failures = mined("swe_agent_multimodel")
    failed = {f.event_id for f in failures}
    views = [e for e in events if e.kind == "tool_result" and e.tool in ("open", "goto", "edit")
             and re.search(r"syntax error|timeout", e.text or "", re.I)
             and not (e.text or "").startswith(_EDIT_LINT)]
    assert views  # the data has them, so the check means something
    assert not [e.id for e in views if e.id in failed]
    for f in failures:
        if f.kind == "syntax_error":
            assert f.text.startswith(("/bin/bash: line", _EDIT_LINT)), f.text[:80]
        if f.kind == "timeout":
            assert f.text.strip() == "EXECUTION TIMED OUT"


def test_nothing_else_changes_kind_on_claude_code_and_tau_bench(mined):
    """Scaffolds with none of these notices keep their failures as they were."""
    _, claude = mined("claude_code")
    _, tau = mined("tau_bench")
    new = {"timeout", "syntax_error", "format_error", "empty_result"}
    assert not [f for f in claude + tau if f.kind in new]
