"""Held-out splits of a tenant's sessions: by time, at random, or by agent.

A split decides which sessions mining and the dream may see (``train``) and
which are kept for measuring the rules (``heldout``); the two never overlap.

- ``time``: the latest ``holdout`` share of sessions (by start time) is held
  out, so rules learned from the past are measured on the future. Sessions
  without a start time sort after dated ones, by source file and native id
  (the order they were written in), and the split says so in its ``note``.
- ``random``: a seeded shuffle (the same ``seed`` always gives the same split).
- ``by-agent``: whole agents are held out (a seeded order of agents, until
  ``holdout`` of the sessions are held out), so a rule must transfer to agents
  it never saw. Needs two agents or more.

>>> from reverie.evaluate.split import SessionKey, split_sessions
>>> keys = [SessionKey(id=f"s{i}", agent="a" if i < 6 else "b", start=i) for i in range(10)]
>>> s = split_sessions(keys, "time", 0.3)
>>> sorted(s.heldout), len(s.train)
(['s7', 's8', 's9'], 7)
>>> sorted(split_sessions(keys, "by-agent", 0.3).heldout) == [f"s{i}" for i in range(6, 10)]
True
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import ConfigError

__all__ = ["SPLIT_KINDS", "SessionKey", "Split", "SplitKind", "split_sessions"]

SplitKind = Literal["time", "random", "by-agent"]
SPLIT_KINDS: tuple[str, ...] = ("time", "random", "by-agent")


class SessionKey(BaseModel):
    """What a split needs of a session: its id, agent, start (epoch ms) and a tie-breaker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    agent: str
    start: int | None = None
    order: str = ""


class Split(BaseModel):
    """Which sessions mining may see (``train``) and which are measured (``heldout``)."""

    model_config = ConfigDict(extra="forbid")

    kind: SplitKind
    holdout: float
    seed: int
    train: list[str] = Field(default_factory=list)
    heldout: list[str] = Field(default_factory=list)
    heldout_agents: list[str] = Field(default_factory=list)
    note: str | None = None

    def summary(self) -> dict[str, object]:
        """The split without its id lists, for reports."""
        return {
            "kind": self.kind,
            "holdout": self.holdout,
            "seed": self.seed,
            "train_sessions": len(self.train),
            "heldout_sessions": len(self.heldout),
            "heldout_agents": self.heldout_agents,
            "note": self.note,
        }


def _count(n: int, holdout: float) -> int:
    """Sessions to hold out: at least one, and at least one left to train on."""
    return min(max(1, round(n * holdout)), n - 1)


def _time(keys: Sequence[SessionKey], holdout: float) -> tuple[list[str], str | None]:
    ordered = sorted(keys, key=lambda k: (k.start is None, k.start or 0, k.order, k.id))
    undated = sum(k.start is None for k in keys)
    note = None
    if undated:
        note = (
            f"{undated} of {len(keys)} sessions have no start time; they are ordered by "
            "source file and native id after the dated ones"
        )
    return [k.id for k in ordered[len(ordered) - _count(len(ordered), holdout) :]], note


def _random(keys: Sequence[SessionKey], holdout: float, seed: int) -> list[str]:
    ids = sorted(k.id for k in keys)
    random.Random(seed).shuffle(ids)
    return ids[: _count(len(ids), holdout)]


def _by_agent(keys: Sequence[SessionKey], holdout: float, seed: int) -> tuple[list[str], list[str]]:
    per_agent: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        per_agent[k.agent].append(k.id)
    if len(per_agent) < 2:
        raise ConfigError(
            f"--split by-agent needs sessions of two agents or more; this tenant has "
            f"{len(per_agent)}; use --split time or --split random"
        )

    def rank(agent: str) -> str:
        return hashlib.blake2b(f"{seed}:{agent}".encode(), digest_size=8).hexdigest()

    want = round(len(keys) * holdout)
    held: list[str] = []
    agents: list[str] = []
    for agent in sorted(per_agent, key=rank):
        if len(agents) == len(per_agent) - 1 or (agents and len(held) >= want):
            break
        agents.append(agent)
        held.extend(per_agent[agent])
    return held, sorted(agents)


def split_sessions(
    keys: Sequence[SessionKey], kind: str, holdout: float = 0.3, seed: int = 0
) -> Split:
    """Split ``keys`` into training and held-out sessions (see the module docstring)."""
    if kind not in SPLIT_KINDS:
        raise ConfigError(f"unknown split {kind!r}; use one of {', '.join(SPLIT_KINDS)}")
    if not 0 < holdout < 1:
        raise ConfigError(f"--holdout must be between 0 and 1 (exclusive), not {holdout}")
    if len(keys) < 2:
        raise ConfigError(
            f"a held-out evaluation needs two sessions or more; this tenant has {len(keys)}"
        )
    note: str | None = None
    agents: list[str] = []
    if kind == "time":
        held, note = _time(keys, holdout)
    elif kind == "random":
        held = _random(keys, holdout, seed)
    else:
        held, agents = _by_agent(keys, holdout, seed)
    held_set = set(held)
    return Split(
        kind=kind,  # type: ignore[arg-type]
        holdout=holdout,
        seed=seed,
        train=sorted(k.id for k in keys if k.id not in held_set),
        heldout=sorted(held_set),
        heldout_agents=agents,
        note=note,
    )
