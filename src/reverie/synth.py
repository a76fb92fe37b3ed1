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

__all__ = ["MOTIFS", "CorpusStats", "PlantedMotif", "Transcript", "write_corpus"]


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


class Transcript:
    """One Claude Code session, built step by step and written as JSONL.

    Ids come from ``rng`` when one is given (the corpus generator), else from
    the session id and a counter, so a hand-built transcript is reproducible.
    """

    def __init__(
        self,
        session: str,
        cwd: str,
        start: datetime | None = None,
        *,
        rng: random.Random | None = None,
        step: timedelta = timedelta(seconds=3),
    ):
        self.session, self.cwd, self.rng, self.step = session, cwd, rng, step
        self.clock = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self.parent: str | None = None
        self.rows: list[dict] = []
        self.n = 0

    @property
    def events(self) -> int:
        return len(self.rows)

    def _uid(self) -> str:
        if self.rng is not None:
            return str(uuidlib.UUID(int=self.rng.getrandbits(128)))
        return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"{self.session}/{self.n}"))

    def _tag(self, prefix: str) -> str:
        if self.rng is not None:
            return f"{prefix}_{self.rng.getrandbits(64):016x}"
        return f"{prefix}_{self.session[:8]}_{self.n}"

    def _row(self, kind: str, message: dict) -> None:
        self.n += 1
        uid = self._uid()
        self.clock += self.step
        self.rows.append({
            "parentUuid": self.parent, "isSidechain": False, "userType": "external",
            "cwd": self.cwd, "sessionId": self.session, "version": "2.1.39",
            "gitBranch": "main", "type": kind, "message": message, "uuid": uid,
            "timestamp": self.clock.isoformat().replace("+00:00", "Z"),
        })  # fmt: skip
        self.parent = uid

    def user(self, text: str) -> Transcript:
        self._row("user", {"role": "user", "content": text})
        return self

    def tool(self, name: str, tool_input: dict, output: str, error: bool) -> Transcript:
        """A tool call and its result."""
        call, msg = self._tag("toolu"), self._tag("msg")
        self._row("assistant", {
            "model": "claude-sonnet-4-5", "id": msg, "type": "message", "role": "assistant",
            "content": [{"type": "tool_use", "id": call, "name": name, "input": tool_input}],
            "usage": {"input_tokens": 1200, "output_tokens": 80},
        })  # fmt: skip
        self._row("user", {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": call, "content": output, "is_error": error}
        ]})  # fmt: skip
        return self

    def bash(self, command: str, output: str, error: bool = False) -> Transcript:
        return self.tool("Bash", {"command": command, "description": "run"}, output, error)

    def write(self, folder: Path) -> Path:
        """Write ``folder/<session>.jsonl`` (the folder is the agent's project folder)."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.session}.jsonl"
        path.write_bytes(b"\n".join(orjson.dumps(r) for r in self.rows) + b"\n")
        return path


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
    motifs: tuple[PlantedMotif, ...] = MOTIFS,
) -> CorpusStats:
    """Write ``sessions`` transcripts under ``root/<agent>/``; return what was planted.

    ``motifs`` are the planted motifs (default :data:`MOTIFS`); another tuple
    of the same length plants its motifs in the very same places.

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
        w = Transcript(session, f"/work/{agent}", started, rng=rng)
        cured = set(fixed) if deployed_at is not None and started >= deployed_at else set()
        w.user(f"Task {i}: fix the failing build in module {i}")
        for n in range(steps):
            roll = rng.random()
            if roll < motif_rate / max(steps / 3, 1):
                motif = rng.choice(motifs)
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
        path = w.write(root / agent)
        stats.sessions += 1
        stats.events += w.events
        stats.files.append(path)
    return stats
