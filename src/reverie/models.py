"""The typed records that flow through Reverie's pipeline.

Every stage takes and returns these pydantic models (``extra="forbid"``, so a
typo in a field name is an error, not a silently dropped value).

Ingest side: :class:`Session`, :class:`Event`, :class:`Outcome`, carried per
session in a :class:`ParsedSession`; :class:`SourceRef` points every event back
to the exact file and line it came from.

Mining side: :class:`Failure`, :class:`Signature`, :class:`Correction`,
:class:`Motif`. Curation side: :class:`CurationDecision`, :class:`Review`
(the rule itself lives in :mod:`reverie.rulebook.rules`).

Times are timezone-aware UTC ``datetime`` objects in Python and epoch
milliseconds in the stores.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "TRUST_CLASSES",
    "Correction",
    "CurationDecision",
    "Event",
    "EventKind",
    "Failure",
    "Malformed",
    "Motif",
    "Outcome",
    "ParsedSession",
    "Review",
    "Role",
    "Session",
    "Signature",
    "SourceRef",
    "TrustClass",
    "Usage",
]

TrustClass = Literal["operator", "user", "agent", "tool", "external"]
TRUST_CLASSES: tuple[TrustClass, ...] = ("operator", "user", "agent", "tool", "external")
EventKind = Literal["message", "tool_call", "tool_result"]
Role = Literal["user", "assistant", "system"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceRef(_Model):
    """Where a record came from: a file and a 1-based line (or record index)."""

    file: str
    line: int = Field(ge=0)


class Usage(_Model):
    """Token usage (and cost when the transcript states it) of one model call."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = None

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


class Event(_Model):
    """One thing that happened in a session: a message, a tool call or a tool result.

    Adapters fill the native fields; :mod:`reverie.ingest.provenance` assigns ``id``,
    ``session_id``, ``prev_id`` (the ``NEXT`` chain) and ``answers_id`` (the
    ``ANSWERS`` edge from a result to its call).
    """

    kind: EventKind
    trust: TrustClass
    source: SourceRef
    key: str = Field(description="Native identity within the session (uuid, index, block).")
    role: Role | None = None
    text: str | None = None
    tool: str | None = None
    tool_input: Any = None
    call_id: str | None = Field(
        default=None, description="Native tool call id (calls and results)."
    )
    is_error: bool = False
    exit_code: int | None = None
    timestamp: datetime | None = None
    model: str | None = None
    usage: Usage | None = None
    flags: list[str] = Field(default_factory=list)
    attrs: dict[str, Any] = Field(default_factory=dict)
    # assigned by provenance
    id: str = ""
    session_id: str = ""
    seq: int = 0
    prev_id: str | None = None
    answers_id: str | None = None


class Session(_Model):
    """One agent run. ``native_id`` is the scaffold's id; ``id`` is Reverie's hash."""

    native_id: str
    agent: str
    format: str
    source_file: str
    tenant: str = ""
    id: str = ""
    task: str | None = None
    model: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    parent_native_id: str | None = Field(
        default=None, description="Native id of the parent session (subagents)."
    )
    parent_call_id: str | None = Field(
        default=None, description="Native id of the parent's tool call that started this one."
    )
    attrs: dict[str, Any] = Field(default_factory=dict)
    # assigned by provenance
    parent_id: str | None = None
    parent_call_event_id: str | None = None


class Outcome(_Model):
    """How a session ended, where the format or a neighbouring file says."""

    success: bool | None = None
    reward: float | None = None
    detail: str | None = None
    source: SourceRef | None = None


class ParsedSession(_Model):
    """What an adapter yields: one session with its events in order."""

    session: Session
    events: list[Event]
    outcome: Outcome | None = None
    native_id_unique: bool = Field(
        default=False,
        description=(
            "The native id names exactly one run (a UUID per run, as Claude Code's sessionId), "
            "so it alone keys the session. Otherwise (task or instance ids reused by every "
            "rerun and model) the agent and a fingerprint of the content are part of the key."
        ),
    )
    snapshot: bool = Field(
        default=False,
        description=(
            "The file is a snapshot of a run that later files extend (one file per model "
            "call, each with the whole conversation so far): a stored run from another file "
            "whose events this one extends is the same run."
        ),
    )


class Malformed(_Model):
    """A line or record an adapter set aside, with the reason."""

    file: str
    line: int
    reason: str


class Failure(_Model):
    """Something that went wrong, observed in one event."""

    id: str
    tenant: str
    event_id: str
    session_id: str
    agent: str
    kind: str = Field(description="tool_error, exit_code, traceback, rejection, timeout, ...")
    detector: str
    tool: str | None = None
    program: str | None = None
    text: str = ""
    signature_id: str | None = None
    trust: TrustClass = "tool"
    timestamp: datetime | None = None


class Signature(_Model):
    """A failure's text normalized to a template, keyed by tool, program and error class."""

    id: str
    tenant: str
    tool: str | None
    program: str | None
    error_class: str
    template: str


class Correction(_Model):
    """What fixed a failure: a later successful call, or a user's correction."""

    id: str
    tenant: str
    failure_id: str
    event_id: str
    kind: Literal["retry", "user", "other_tool"]
    summary: str
    steps: int = 0
    tokens: int = 0


class Motif(_Model):
    """A failure (and its fix) that recurs across sessions, with its scores."""

    id: str
    tenant: str
    tool: str | None
    program: str | None
    template: str
    kind: str
    signature_ids: list[str]
    sessions: list[str]
    agents: list[str]
    support: int
    trust_support: float
    recovery: dict[str, Any] = Field(default_factory=dict)
    examples: list[dict[str, Any]] = Field(default_factory=list)
    cost: dict[str, Any] = Field(default_factory=dict)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    lift: float | None = None
    cross_agent: bool = False
    score: float = 0.0
    flags: list[str] = Field(default_factory=list)
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="What the evidence shows fixed it (reverie.mine.facts.FixFacts, as a dict).",
    )
    cause: dict[str, Any] | None = Field(
        default=None,
        description="The root cause several signatures share (reverie.mine.facts.Cause).",
    )


class CurationDecision(_Model):
    """One decision of a dream cycle or a reviewer, as logged."""

    action: str
    rule_id: str | None = None
    motif_id: str | None = None
    actor: str
    reason: str
    at: datetime
    details: dict[str, Any] = Field(default_factory=dict)


class Review(_Model):
    """A reviewer's decision about a rule."""

    rule_id: str
    decision: Literal["approve", "reject", "edit"]
    reviewer: str
    reason: str
    at: datetime
