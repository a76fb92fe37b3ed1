"""What mining reads from a store and gets back: the rows of the contract's mining methods.

The mining methods are part of the one store contract,
:class:`~reverie.store.base.GraphStore`. Mining streams the events it needs
once (:meth:`~reverie.store.base.GraphStore.failure_candidates`), writes what
it found (failures, signatures, corrections, then motifs), and asks the store
for the aggregates (``GROUP BY`` in SQL, ``count(DISTINCT ...)`` in Cypher).

Graph edges these records carry (as foreign keys in the embedded store):

- ``(Failure)-[:OBSERVED_IN]->(Event)``: ``Failure.event_id``
- ``(Failure)-[:HAS_SIGNATURE]->(Signature)``: ``Failure.signature_id``
- ``(Correction)-[:CORRECTS]->(Failure)``: ``Correction.failure_id``
- ``(Motif)-[:GROUPS]->(Signature)``: ``Motif.signature_ids``

The rows are named tuples, not pydantic models: mining reads every event of a
tenant (millions), and building a model per row would dominate.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "FailureExample",
    "MiningEvent",
    "MiningSession",
    "RecoveryStat",
    "SignatureSession",
    "SignatureStat",
]


class MiningEvent(NamedTuple):
    """One event as mining reads it; ``tool_input`` is JSON text, ``ts`` epoch ms."""

    id: str
    session_id: str
    seq: int
    kind: str
    role: str | None
    trust: str
    tool: str | None
    text: str | None
    tool_input: str | None
    is_error: bool
    exit_code: int | None
    answers_id: str | None
    ts: int | None
    tokens: int
    flags: str | None


class MiningSession(NamedTuple):
    """A session's agent and whether its outcome failed (``None``: no outcome known)."""

    id: str
    agent: str
    failed: bool | None


class SignatureStat(NamedTuple):
    """Per-signature aggregate over a tenant's failures (``kind`` is part of the key)."""

    signature_id: str
    kind: str
    occurrences: int
    sessions: int
    agents: int
    trust_support: float
    first_seen: int | None
    last_seen: int | None


class SignatureSession(NamedTuple):
    """One distinct (signature, session) pair with the session's agent and outcome."""

    signature_id: str
    session_id: str
    agent: str
    failed: bool | None


class RecoveryStat(NamedTuple):
    """How often one fix followed failures of one signature, and what it cost."""

    signature_id: str
    kind: str
    summary: str
    count: int  # type: ignore[assignment]  # a field named like tuple.count; read as .count
    steps: float
    tokens: float
    ms: float | None


class FailureExample(NamedTuple):
    """A failure's event with the file and line it came from."""

    signature_id: str
    failure_id: str
    event_id: str
    session_id: str
    file: str
    line: int
