"""Synthetic provenance for store tests and benchmarks (no transcripts needed).

:func:`synthetic_file` builds the parsed sessions one transcript file would
give, already linked by :func:`reverie.ingest.provenance.link_session`: tool calls
and their results (some failing, with exit codes), messages, usage, flags and
attributes, timestamps at millisecond precision (what the stores keep), and an
outcome on every other session. The same arguments always give the same
records, so two stores fed the same call can be compared field by field.

>>> state, sessions = synthetic_file("acme", "/data/f0.jsonl", sessions=2, events=6)
>>> [len(p.events) for p in sessions], sessions[0].events[1].answers_id == sessions[0].events[0].id
([6, 6], True)
>>> state.path, state.id == synthetic_file("acme", "/data/f0.jsonl", 2, 6)[0].id
('/data/f0.jsonl', True)
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from reverie.ingest.provenance import link_session, source_id
from reverie.models import Event, Outcome, ParsedSession, Session, SourceRef, Usage
from reverie.store.base import SourceState

__all__ = ["synthetic_file", "synthetic_session"]

_TOOLS = ("Bash", "Read", "Edit", "Grep")
_ERRORS = (
    "Error: file not found: src/app{n}.py",
    "ModuleNotFoundError: No module named 'pkg{n}'",
    "exit status 1: make: *** [test] Error {n}",
)
_EPOCH = datetime(2025, 5, 3, 9, 0, tzinfo=UTC)


def synthetic_session(
    tenant: str, path: str, native_id: str, events: int, *, agent: str = "agent-a", seed: int = 0
) -> ParsedSession:
    """One linked session of ``events`` events: call, result, and now and then a message."""
    rng = random.Random(f"{native_id}:{seed}")
    start = _EPOCH + timedelta(minutes=rng.randrange(100_000))
    out: list[Event] = []
    for i in range(events):
        ts = start + timedelta(milliseconds=1500 * i + rng.randrange(1000))
        source = SourceRef(file=path, line=i + 1)
        phase = i % 3
        if phase == 0:
            out.append(
                Event(
                    kind="tool_call", trust="agent", source=source, key=f"k{i}", role="assistant",
                    tool=rng.choice(_TOOLS), tool_input={"command": f"run {i}", "n": i},
                    call_id=f"c{i}", timestamp=ts, model="model-x",
                    usage=Usage(input_tokens=100 + i, output_tokens=20),
                )
            )
        elif phase == 1:
            failed = rng.random() < 0.3
            text = rng.choice(_ERRORS).format(n=rng.randrange(9)) if failed else f"ok {i}"
            out.append(
                Event(
                    kind="tool_result", trust="tool", source=source, key=f"k{i}", text=text,
                    call_id=f"c{i - 1}", is_error=failed, exit_code=1 if failed else 0,
                    timestamp=ts, flags=["possible_injection"] if rng.random() < 0.05 else [],
                )
            )
        else:
            out.append(
                Event(
                    kind="message", trust="user", source=source, key=f"k{i}", role="user",
                    text=f"no, use the other file {i}", timestamp=ts, attrs={"turn": i},
                )
            )
    n = int(native_id.rsplit("-", 1)[-1]) if native_id.rsplit("-", 1)[-1].isdigit() else 0
    outcome = None
    if n % 2 == 0:
        outcome = Outcome(success=n % 4 == 0, reward=float(n % 4 == 0), detail="synthetic")
    parsed = ParsedSession(
        session=Session(
            native_id=native_id, agent=agent, format="synthetic", source_file=path,
            task=f"task {native_id}", model="model-x", attrs={"seed": seed},
        ),
        events=out,
        outcome=outcome,
    )
    return link_session(tenant, parsed)


def synthetic_file(
    tenant: str, path: str, sessions: int = 3, events: int = 30, *, agents: int = 2, seed: int = 0
) -> tuple[SourceState, list[ParsedSession]]:
    """A file's ``SourceState`` and its ``sessions`` linked sessions of ``events`` events."""
    stem = path.rsplit("/", 1)[-1]
    parsed = [
        synthetic_session(
            tenant, path, f"{stem}-{i}", events, agent=f"agent-{i % agents}", seed=seed
        )
        for i in range(sessions)
    ]
    state = SourceState(
        id=source_id(tenant, path), path=path, size=1000 * sessions * events,
        mtime_ns=1_700_000_000_000_000_000 + seed, format="synthetic",
    )
    return state, parsed
