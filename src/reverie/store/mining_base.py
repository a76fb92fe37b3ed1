"""The ``MiningStore`` protocol: what a store does for failure mining.

Kept separate from :class:`~reverie.store.base.GraphStore` and small, so a Bolt
store can implement the same methods in Cypher. Mining streams the events it
needs once (:meth:`MiningStore.failure_candidates`), writes what it found
(failures, signatures, corrections, then motifs), and asks the store for the
aggregates (``GROUP BY`` in SQL, ``count(DISTINCT ...)`` in Cypher).

Graph edges these records carry (as foreign keys in the embedded store):

- ``(Failure)-[:OBSERVED_IN]->(Event)``: ``Failure.event_id``
- ``(Failure)-[:HAS_SIGNATURE]->(Signature)``: ``Failure.signature_id``
- ``(Correction)-[:CORRECTS]->(Failure)``: ``Correction.failure_id``
- ``(Motif)-[:GROUPS]->(Signature)``: ``Motif.signature_ids``

The streamed rows are named tuples, not pydantic models: mining reads every
event of a tenant (millions), and building a model per row would dominate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple, Protocol, runtime_checkable

from reverie.models import Correction, Failure, Motif, Signature

__all__ = [
    "FailureExample",
    "MiningEvent",
    "MiningSession",
    "MiningStore",
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
    count: int
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


@runtime_checkable
class MiningStore(Protocol):
    """Persistence and aggregation for :mod:`reverie.mine`; every call takes a tenant."""

    def failure_candidates(self, tenant: str) -> Iterator[MiningEvent]:
        """Every event of the tenant, by session then ``seq`` (mining filters them)."""
        ...

    def mining_sessions(self, tenant: str) -> Iterator[MiningSession]:
        """Every session of the tenant with its agent and outcome."""
        ...

    def write_mining(
        self,
        tenant: str,
        failures: Iterable[Failure],
        signatures: Iterable[Signature],
        corrections: Iterable[Correction],
    ) -> None:
        """Replace the tenant's failures, signatures, corrections (and motifs) at once."""
        ...

    def signature_stats(
        self, tenant: str, trust_weights: Mapping[str, float]
    ) -> list[SignatureStat]:
        """Occurrences, distinct sessions and agents, trust-weighted support, first/last seen."""
        ...

    def signature_sessions(self, tenant: str) -> list[SignatureSession]:
        """Distinct (signature, session) pairs, for motif unions and outcome lift."""
        ...

    def recovery_stats(self, tenant: str) -> list[RecoveryStat]:
        """Corrections grouped by the signature of the failure they correct and their fix."""
        ...

    def failure_examples(
        self, tenant: str, signature_ids: Iterable[str], limit: int = 3
    ) -> list[FailureExample]:
        """Up to ``limit`` failures per signature (distinct sessions first) with file and line."""
        ...

    def write_motifs(self, tenant: str, motifs: Iterable[Motif]) -> None:
        """Replace the tenant's motifs (and their ``GROUPS`` edges)."""
        ...

    def motifs(self, tenant: str) -> list[Motif]:
        """The tenant's stored motifs, highest score first."""
        ...
