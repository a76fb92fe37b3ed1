"""A generator of realistic Claude Code transcripts with planted failure motifs.

Used by the demo when no real sessions are at hand, by the benchmarks (large
corpora), and by tests that need known motifs. Deterministic for a seed.

Each session is one ``<uuid>.jsonl`` file in a project folder named after its
agent. A session is a user task followed by steps; a step is a Bash call and
its result. Planted motifs (``MOTIFS``) are failures with a fixed recovery:
the failing call, then the fixing command, then the retried call succeeding.
Noise errors are unique per occurrence.

>>> stats = write_corpus(__import__("tempfile").mkdtemp(), sessions=4, steps=10, seed=1)
>>> stats.sessions, stats.events > 40
(4, True)
"""

from __future__ import annotations

import random
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

__all__ = ["MOTIFS", "CorpusStats", "PlantedMotif", "write_corpus"]


@dataclass(frozen=True)
class PlantedMotif:
    name: str
    command: str
    error: str
    fix: str


MOTIFS: tuple[PlantedMotif, ...] = (
    PlantedMotif(
        "mix-format",
        "git commit -m 'update {n}'",
        "Exit code 1\nPre-commit validation failed:\n\n[FORMAT] Code is not formatted.\n"
        "Run 'mix format' to fix.",
        "mix format",
    ),
    PlantedMotif(
        "pytest-missing-module",
        "pytest tests/test_{n}.py",
        "Exit code 2\nImportError while loading conftest '/work/proj{n}/tests/conftest.py'.\n"
        "ModuleNotFoundError: No module named 'requests'",
        "pip install requests",
    ),
    PlantedMotif(
        "git-push-upstream",
        "git push",
        "Exit code 128\nfatal: The current branch feature-{n} has no upstream branch.",
        "git push --set-upstream origin feature-{n}",
    ),
)

_OK_COMMANDS = ("ls -la", "cat README.md", "git status", "mix test", "npm run build", "make")
_NOISE = (
    "Exit code 1\nerror: unexpected token '{n}' at line {m} in src/module_{n}.py",
    "Exit code 3\nsegmentation fault in worker {n} (core dumped at 0x{m:x})",
)


@dataclass
class CorpusStats:
    sessions: int = 0
    events: int = 0
    files: list[Path] = field(default_factory=list)
    planted: dict[str, set[str]] = field(default_factory=dict)


class _Writer:
    def __init__(self, rng: random.Random, session: str, cwd: str, start: datetime):
        self.rng = rng
        self.session, self.cwd, self.clock = session, cwd, start
        self.parent: str | None = None
        self.lines: list[bytes] = []
        self.events = 0

    def _line(self, kind: str, message: dict) -> None:
        uid = str(uuidlib.UUID(int=self.rng.getrandbits(128)))
        self.clock += timedelta(seconds=3)
        self.lines.append(
            orjson.dumps(
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
        )
        self.parent = uid
        self.events += 1

    def user(self, text: str) -> None:
        self._line("user", {"role": "user", "content": text})

    def bash(self, command: str, output: str, error: bool) -> None:
        call = f"toolu_{self.rng.getrandbits(64):016x}"
        self._line(
            "assistant",
            {
                "model": "claude-sonnet-4-5",
                "id": f"msg_{self.rng.getrandbits(64):016x}",
                "type": "message",
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": call,
                        "name": "Bash",
                        "input": {"command": command, "description": "run"},
                    }
                ],
                "usage": {"input_tokens": 1200, "output_tokens": 80},
            },
        )
        self._line(
            "user",
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": call,
                        "content": output,
                        "is_error": error,
                    }
                ],
            },
        )


def write_corpus(
    root: str | Path,
    sessions: int = 20,
    steps: int = 30,
    agents: int = 3,
    motif_rate: float = 0.5,
    noise_rate: float = 0.05,
    seed: int = 7,
    start: datetime | None = None,
    deployed_at: datetime | None = None,
    fixed: tuple[str, ...] = (),
) -> CorpusStats:
    """Write ``sessions`` transcripts under ``root/<agent>/``; return what was planted.

    With ``deployed_at``, the planted motifs named in ``fixed`` stop occurring in
    sessions that start at or after that time (the step runs cleanly instead):
    a known deployment with a known effect, for ``reverie eval``'s before/after.
    """
    rng = random.Random(seed)
    root = Path(root)
    stats = CorpusStats()
    clock = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for i in range(sessions):
        agent = f"agent-{i % agents}"
        session = str(uuidlib.UUID(int=rng.getrandbits(128)))
        started = clock + timedelta(hours=6 * i)
        w = _Writer(rng, session, f"/work/{agent}", started)
        cured = set(fixed) if deployed_at is not None and started >= deployed_at else set()
        w.user(f"Task {i}: fix the failing build in module {i}")
        for n in range(steps):
            roll = rng.random()
            if roll < motif_rate / max(steps / 3, 1):
                motif = rng.choice(MOTIFS)
                if motif.name in cured:
                    w.bash(rng.choice(_OK_COMMANDS), f"done step {n}", False)
                    continue
                w.bash(motif.command.format(n=n), motif.error.format(n=n), True)
                w.bash(motif.fix.format(n=n), "", False)
                w.bash(motif.command.format(n=n), "ok", False)
                stats.planted.setdefault(motif.name, set()).add(session)
            elif roll < motif_rate / max(steps / 3, 1) + noise_rate:
                noise = rng.choice(_NOISE).format(n=rng.getrandbits(32), m=i * 1000 + n)
                w.bash(f"./run_{rng.getrandbits(24):x}.sh", noise, True)
            else:
                w.bash(rng.choice(_OK_COMMANDS), f"done step {n}", False)
        folder = root / agent
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{session}.jsonl"
        path.write_bytes(b"\n".join(w.lines) + b"\n")
        stats.sessions += 1
        stats.events += w.events
        stats.files.append(path)
    return stats
