"""The ``GraphStore`` protocol: what every provenance store does.

Two implementations: :class:`reverie.store.sqlite.SQLiteStore` (embedded, the
default, one file under ``.reverie/``) and the Bolt store for Neo4j-compatible
servers. One contract suite (``tests/store/``) runs against both.

Rules every implementation keeps:

- every read and every write takes a ``tenant``; nothing returns another
  tenant's records;
- :meth:`GraphStore.write_file` is all-or-nothing: one transaction per source
  file, so a crash or Ctrl-C mid-file leaves the store as it was before it;
- writes are idempotent: ids are content hashes, so writing the same sessions
  again adds nothing, and a file that grew adds only its new events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

import networkx as nx
import orjson
from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import InputError
from reverie.models import Event, EventKind, Outcome, ParsedSession, Session

__all__ = ["GraphStore", "SourceState", "StoreStats", "WriteResult", "dumps_payload"]


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


@runtime_checkable
class GraphStore(Protocol):
    """A provenance store. See the module docstring for the rules it keeps."""

    def close(self) -> None: ...

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
    def tenants(self) -> list[str]: ...

    def stats(self, tenant: str) -> StoreStats: ...

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

    def info(self) -> dict[str, Any]:
        """Backend name and location, for ``reverie stats`` and error messages."""
        ...
