"""Corpora with planted failure motifs, built in memory, for tests and benchmarks.

:func:`planted_sessions` yields :class:`~reverie.models.ParsedSession` objects
(deterministic for a seed) in which each motif of :data:`PLANTED` recurs in
many sessions across several agents, with its fix; every variable part of a
planted failure (numbers, paths, branch names, identifiers) changes with
every occurrence, so only normalization and template merging can group them.
:data:`NEAR_MISS` recurs in exactly two sessions (below a threshold of three),
and every session has noise errors that occur once in the whole corpus.
:func:`write_planted` writes such a corpus straight into a store.

>>> sessions = list(planted_sessions(sessions=12, steps=20, seed=3))
>>> len(sessions), {s.session.agent for s in sessions} == set(AGENTS)
(12, True)
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reverie.ingest.provenance import link_session, source_id
from reverie.models import Event, Outcome, ParsedSession, Session, SourceRef, Usage
from reverie.store.base import GraphStore, SourceState

__all__ = ["AGENTS", "NEAR_MISS", "PLANTED", "Planted", "planted_sessions", "write_planted"]

AGENTS = ("alpha", "beta", "gamma", "delta")
_WORDS = (
    "amber", "basil", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
    "kelp", "lumen", "maple", "nectar", "onyx", "pebble", "quartz", "raven", "sierra", "tundra",
    "umber", "violet", "willow", "xenon", "yarrow", "zephyr",
)


@dataclass(frozen=True)
class Planted:
    """One planted motif: the failing call, its output, and the fix."""

    name: str
    tool: str
    program: str | None
    marker: str  # a phrase the motif's template must contain


PLANTED = (
    Planted("pytest-module", "Bash", "pytest", "ModuleNotFoundError"),
    Planted("git-push-upstream", "Bash", "git push", "has no upstream branch"),
    Planted("npm-test-failed", "Bash", "npm test", "failed"),
    Planted("edit-not-found", "Edit", None, "String to replace not found"),
    Planted("cargo-unresolved", "Bash", "cargo build", "cannot find value"),
    Planted("user-no-rm", "Bash", "rm", "user correction"),
)
NEAR_MISS = Planted("docker-daemon", "Bash", "docker build", "Cannot connect")


class _Builder:
    """Appends events of one session with unique keys, lines and times."""

    def __init__(self, file: str, start: datetime, rng: random.Random):
        self.file = file
        self.events: list[Event] = []
        self.now = start
        self.rng = rng

    def add(self, **fields: Any) -> None:
        n = len(self.events)
        self.now += timedelta(seconds=self.rng.randint(1, 20))
        self.events.append(
            Event(
                key=f"k{n}",
                source=SourceRef(file=self.file, line=n + 1),
                timestamp=self.now,
                **fields,
            )
        )

    def call(
        self,
        tool: str,
        tool_input: object,
        output: str,
        *,
        is_error: bool = False,
        exit_code: int | None = None,
    ) -> None:
        cid = f"c{len(self.events)}"
        self.add(
            kind="message",
            role="assistant",
            trust="agent",
            text="Working on it.",
            usage=Usage(input_tokens=self.rng.randint(50, 400), output_tokens=40),
        )
        self.add(
            kind="tool_call",
            role="assistant",
            trust="agent",
            tool=tool,
            tool_input=tool_input,
            call_id=cid,
        )
        self.add(
            kind="tool_result",
            role="user",
            trust="tool",
            tool=tool,
            text=output,
            call_id=cid,
            is_error=is_error,
            exit_code=exit_code,
        )

    def bash(
        self, command: str, output: str, *, is_error: bool = False, exit_code: int | None = None
    ) -> None:
        self.call("Bash", {"command": command}, output, is_error=is_error, exit_code=exit_code)

    def user(self, text: str) -> None:
        self.add(kind="message", role="user", trust="user", text=text)


def _plant(b: _Builder, name: str, rng: random.Random) -> None:
    n = rng.randint(1, 99999)
    w = rng.choice(_WORDS)
    if name == "pytest-module":
        b.bash(
            f"pytest tests/test_{w}_{n}.py -q",
            f"Exit code 2\nImportError while loading conftest '/srv/p{n}/tests/conftest.py'.\n"
            f"E   ModuleNotFoundError: No module named '{w}lib'",
            is_error=True,
            exit_code=2,
        )
        b.bash(f"pip install {w}lib", f"Successfully installed {w}lib-1.{n % 9}")
        b.bash(f"pytest tests/test_{w}_{n}.py -q", f"{n % 50 + 1} passed in 0.{n % 9}s")
    elif name == "git-push-upstream":
        b.bash(
            "git push",
            f"Exit code 128\nfatal: The current branch feat-{w}-{n} has no "
            f"upstream branch.\nTo push the current branch, use\n\n    git push "
            f"--set-upstream origin feat-{w}-{n}",
            is_error=True,
            exit_code=128,
        )
        b.bash(f"git push --set-upstream origin feat-{w}-{n}", "branch set up to track")
    elif name == "npm-test-failed":
        b.bash(
            "npm test 2>&1 | tail -20",
            f"FAIL src/{w}.test.js\nTests:       {n % 7 + 1} failed, {n % 40} passed, "
            f"{n % 7 + 1 + n % 40} total\nTime: {n % 9}.{n % 10} s",
        )
        b.bash("npm install", "added 12 packages")
        b.bash("npm test 2>&1 | tail -20", f"Tests:       {n % 40} passed, {n % 40} total")
    elif name == "edit-not-found":
        path = f"/home/u/{w}/src/mod_{n}.py"
        b.call(
            "Edit",
            {"file_path": path, "old_string": f"def {w}_{n}():", "new_string": "x"},
            f"<tool_use_error>String to replace not found in file.\nString: def {w}_{n}():"
            "</tool_use_error>",
            is_error=True,
        )
        b.call("Read", {"file_path": path}, f"1\tdef {w}_{n}(a):")
        b.call(
            "Edit",
            {"file_path": path, "old_string": f"def {w}_{n}(a):", "new_string": "x"},
            f"The file {path} has been updated.",
        )
    elif name == "cargo-unresolved":
        b.bash(
            "cargo build --release",
            f"Exit code 101\n   Compiling {w} v0.{n % 9}.0\nerror[E0425]: cannot find value "
            f"`{w}_{n}` in this scope\n --> src/main.rs:{n % 300}:{n % 80}",
            is_error=True,
            exit_code=101,
        )
        b.call("Read", {"file_path": "/src/main.rs"}, "fn main() {}")
        b.bash("cargo build --release", "Finished release [optimized] target(s)")
    elif name == "user-no-rm":
        b.bash(f"rm -rf build/{w}{n}", "")
        b.user(f"no, don't delete build/{w}{n} by hand, use make clean instead")
        b.bash("make clean", "cleaned")
    elif name == NEAR_MISS.name:
        b.bash(
            f"docker build -t {w}:{n} .",
            f"Exit code 1\nCannot connect to the Docker daemon "
            f"at unix:///var/run/docker{n}.sock. Is the docker daemon running?",
            is_error=True,
            exit_code=1,
        )


def _noise(b: _Builder, rng: random.Random, serial: int) -> None:
    words = rng.sample(_WORDS, rng.randint(3, 7))
    program = f"tool{serial}"
    b.bash(
        f"{program} --run",
        f"Exit code 3\n{program}: {' '.join(words)} went sideways ({serial})",
        is_error=True,
        exit_code=3,
    )


def _routine(b: _Builder, rng: random.Random) -> None:
    w = rng.choice(_WORDS)
    choice = rng.randrange(3)
    if choice == 0:
        b.bash(f"ls src/{w}", f"{w}.py\n__init__.py")
    elif choice == 1:
        b.call("Read", {"file_path": f"/home/u/{w}.py"}, f"1\timport {w}")
    else:
        b.bash(f"git status --short src/{w}", f" M src/{w}.py")


def planted_sessions(
    sessions: int = 24, steps: int = 30, seed: int = 0, noise: int = 2
) -> Iterator[ParsedSession]:
    """Sessions of about ``4 * steps`` events with planted motifs (see the module docstring).

    Session ``i`` carries planted motifs ``i % 6`` and ``(i + 3) % 6``, so with
    24 sessions each motif is in 8 sessions of at least two agents. The near
    miss is in sessions 0 and 1 only. Sessions with the pytest motif fail.
    """
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    serial = 0
    for i in range(sessions):
        agent = AGENTS[i % len(AGENTS)]
        file = f"/corpus/{agent}/s{i}.jsonl"
        b = _Builder(file, start + timedelta(hours=i), rng)
        b.user(f"Task {i}: please fix the {rng.choice(_WORDS)} module")
        plants = {PLANTED[i % 6].name, PLANTED[(i + 3) % 6].name}
        if i < 2:
            plants.add(NEAR_MISS.name)
        slots = rng.sample(range(steps), len(plants) + noise)
        plan = {slot: name for slot, name in zip(slots, sorted(plants), strict=False)}
        noise_slots = set(slots[len(plants) :])
        for step in range(steps):
            if step in plan:
                _plant(b, plan[step], rng)
            elif step in noise_slots:
                serial += 1
                _noise(b, rng, serial + sessions * 1000 * seed)
            else:
                _routine(b, rng)
        failed = "pytest-module" in plants
        yield ParsedSession(
            session=Session(
                native_id=f"{seed}-{i}", agent=agent, format="planted", source_file=file
            ),
            events=b.events,
            outcome=Outcome(success=not failed, reward=0.0 if failed else 1.0),
        )


def write_planted(
    store: GraphStore,
    tenant: str,
    sessions: int = 24,
    steps: int = 30,
    seed: int = 0,
    per_file: int = 100,
) -> int:
    """Write a planted corpus into ``store`` (``per_file`` sessions per source); return events."""
    total = 0
    batch: list[ParsedSession] = []
    part = 0

    def flush() -> None:
        nonlocal part
        path = f"/corpus/{seed}/part{part}.jsonl"
        state = SourceState(
            id=source_id(tenant, path), path=path, size=0, mtime_ns=0, format="planted"
        )
        store.write_file(tenant, state, batch)
        part += 1
        batch.clear()

    for parsed in planted_sessions(sessions, steps, seed):
        linked = link_session(tenant, parsed)
        total += len(linked.events)
        batch.append(linked)
        if len(batch) >= per_file:
            flush()
    if batch:
        flush()
    return total
