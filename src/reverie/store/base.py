"""The store contract: ``GraphStore``, the one protocol every provenance store implements.

Two implementations, both registered in the ``reverie.stores`` entry-point
group: :class:`reverie.store.sqlite.SQLiteStore` (``embedded``, the default,
one file under ``.reverie/``) and :class:`reverie.store.bolt.BoltStore`
(``neo4j``, for Neo4j-compatible servers). Each implements every method below
(ingest, reading, mining, erasure), so callers never ask a store what it can
do; ``tests/store/`` checks the method names and signatures of every
registered store against this protocol and runs one behaviour suite on both.

Rules every implementation keeps:

- every read and every write takes a ``tenant``; nothing returns another
  tenant's records;
- :meth:`GraphStore.write_file` is all-or-nothing: one transaction per source
  file, so a crash or Ctrl-C mid-file leaves the store as it was before it;
- writes are idempotent: ids are content hashes, so writing the same sessions
  again adds nothing, and a file that grew adds only its new events;
- :meth:`GraphStore.erase` keeps tombstones (ids, kinds, times, links) and
  marks them ``{"erased": ...}`` in ``attrs`` (:func:`is_erased`); writing the
  erased sessions' file again does not bring their content back.

Mining reads and writes the row types of :mod:`reverie.store.mining_base`
(named tuples: mining streams millions of events). How agents use rules at run
time (``reverie mcp``) is kept as the records of :mod:`reverie.store.usage_base`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import InputError
from reverie.models import (
    Correction,
    Event,
    EventKind,
    Failure,
    Motif,
    Outcome,
    ParsedSession,
    Session,
    Signature,
)
from reverie.settings import Settings
from reverie.store.mining_base import (
    FailureExample,
    MiningEvent,
    MiningSession,
    RecoveryStat,
    SignatureSession,
    SignatureStat,
)
from reverie.store.usage_base import RuleUsage, RuleUse

if TYPE_CHECKING:  # networkx costs 0.1 s to import: only to_networkx needs it
    import networkx as nx

__all__ = [
    "GraphStore",
    "SourceState",
    "StoreStats",
    "WriteResult",
    "dumps_payload",
    "is_erased",
    "live_session_ids",
]


def dumps_payload(value: Any) -> str:
    """A payload (tool input, attributes) as JSON text, for the stores that keep it so.

    A value the encoder refuses (nested deeper than it goes, 255 levels) is an
    :class:`~reverie.errors.InputError`: the file that carried it fails alone,
    its transaction rolled back. (Ingest sets such values aside long before:
    see :mod:`reverie.adapters._reading`.)
    """
    try:
        return orjson.dumps(value, default=str).decode()
    except orjson.JSONEncodeError as exc:
        raise InputError(f"a value cannot be stored as JSON: {exc}") from exc


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceState(_Model):
    """What the store remembers of an ingested file, to skip or extend it next time."""

    id: str
    path: str
    size: int
    mtime_ns: int
    format: str
    events: int = Field(default=0, description="Events known from this file before this write.")


class WriteResult(_Model):
    sessions: int = 0
    events: int = 0
    new_events: int = 0
    outcomes: int = 0
    collisions: list[dict[str, str]] = Field(
        default_factory=list,
        description="Sessions whose run-unique id a different run already held (kept apart).",
    )


class StoreStats(_Model):
    """Per-tenant counts, as ``reverie stats`` shows them."""

    tenant: str
    agents: int
    sessions: int
    events: int
    events_by_kind: dict[str, int] = Field(default_factory=dict)
    tool_calls: int = 0
    tool_errors: int = 0
    outcomes: int = 0
    sources: int = 0


class GraphStore(Protocol):
    """A provenance store: the whole contract (see the module docstring for its rules)."""

    # -- opening and closing ---------------------------------------------------
    @classmethod
    def from_settings(cls, settings: Settings) -> GraphStore:
        """Open the store ``[store]`` in ``reverie.toml`` describes (credentials: environment)."""
        ...

    def close(self) -> None:
        """Release the file or the connection; the store is not used afterwards."""
        ...

    def info(self) -> dict[str, Any]:
        """Backend name and location, for ``reverie stats`` and error messages."""
        ...

    # -- writing ---------------------------------------------------------------
    def source_state(self, tenant: str, path: str) -> SourceState | None:
        """What was recorded for ``path`` (absolute) at its last ingest, if anything."""
        ...

    def write_file(
        self, tenant: str, source: SourceState, sessions: Iterable[ParsedSession]
    ) -> WriteResult:
        """Write one file's sessions (ids already assigned) in one transaction."""
        ...

    def write_outcomes(
        self, tenant: str, source: SourceState, outcomes: dict[str, Outcome]
    ) -> int:
        """Set stored sessions' outcomes from an outcome file and record the file; one
        transaction. Returns how many outcomes were written (unknown session ids are skipped)."""
        ...

    # -- reading ---------------------------------------------------------------
    def tenants(self) -> list[str]:
        """Every tenant that has records, sorted."""
        ...

    def stats(self, tenant: str) -> StoreStats:
        """Per-tenant counts, as ``reverie stats`` shows them."""
        ...

    def sessions(
        self, tenant: str, agent: str | None = None, native_ids: Iterable[str] | None = None
    ) -> list[Session]:
        """Sessions, optionally only an agent's and only those with one of ``native_ids``."""
        ...

    def find_session(self, tenant: str, ref: str) -> Session | None:
        """A session by Reverie id, native id, or a prefix of either; None when no session
        or several match (runs of one task by several agents share a native id)."""
        ...

    def events(
        self,
        tenant: str,
        *,
        session_id: str | None = None,
        kind: EventKind | None = None,
        tool: str | None = None,
        errors_only: bool = False,
    ) -> Iterator[Event]:
        """Events in session order (by session, then ``seq``)."""
        ...

    def outcomes(self, tenant: str) -> dict[str, Outcome]:
        """Session id -> outcome, for sessions that have one."""
        ...

    def to_networkx(
        self, tenant: str, session_ids: Iterable[str] | None = None, max_events: int = 50_000
    ) -> nx.MultiDiGraph:
        """A bounded subgraph (sessions, agents, events and their edges) for analysis."""
        ...

    # -- mining (reverie.mine) -------------------------------------------------
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

    def write_motifs(self, tenant: str, motifs: Iterable[Motif]) -> None:
        """Replace the tenant's motifs (and their ``GROUPS`` edges)."""
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

    def motifs(self, tenant: str) -> list[Motif]:
        """The tenant's stored motifs, highest score first."""
        ...

    # -- erasure (reverie forget) ----------------------------------------------
    def erase(
        self, tenant: str, session_ids: Iterable[str], tombstone: dict[str, Any]
    ) -> dict[str, int]:
        """Remove these sessions' content, keeping tombstones marked ``{"erased": tombstone}``;
        their outcomes and mining records go. Returns counts by record kind."""
        ...

    def compact(self) -> None:
        """Make erased bytes unrecoverable where the store holds them (files, logs)."""
        ...

    # -- rule use at run time (reverie mcp) -------------------------------------
    def record_rule_uses(self, tenant: str, uses: Iterable[RuleUse]) -> int:
        """Record retrievals of rules and feedback about them (one write); returns how many.
        A use already recorded (same id) is not recorded twice."""
        ...

    def rule_usage(
        self, tenant: str, since: datetime | None = None, rule_ids: Iterable[str] | None = None
    ) -> list[RuleUsage]:
        """Uses per rule and agent (retrievals, helped, unhelpful, first and last time) at
        or after ``since``, optionally only of ``rule_ids``; sorted by rule, then agent."""
        ...

    def rule_feedback(self, tenant: str, rule_id: str, limit: int = 10) -> list[RuleUse]:
        """The latest ``limit`` feedback records about ``rule_id``, newest first."""
        ...

    def erase_rule_uses(self, tenant: str, agents: Iterable[str]) -> int:
        """Remove every use recorded for these agents (``reverie forget --agent``); returns
        how many went."""
        ...


def is_erased(session: Session) -> bool:
    """Whether ``session`` is a tombstone left by :meth:`GraphStore.erase`."""
    return "erased" in session.attrs


def live_session_ids(store: GraphStore, tenant: str) -> set[str]:
    """The tenant's sessions that were not erased (the dream's ``live_sessions``)."""
    return {s.id for s in store.sessions(tenant) if not is_erased(s)}
