"""What the store keeps of how agents use rules at run time (``reverie mcp``).

Two kinds of :class:`RuleUse`, each one row per rule, per agent, with its time:

- ``retrieved``: the rule was served to an agent (``rules_for``);
- ``feedback``: an agent reported whether the rule helped (``rule_feedback``),
  with an optional note, redacted and scanned for injection before it is
  stored (``flags`` names what the scan found; a flagged note is never shown).

The store aggregates them per rule and agent (:class:`RuleUsage`) for
``reverie rules show`` and for the dream (:mod:`reverie.rulebook.usage`).
Rows carry their tenant like every other record and never cross tenants; a
row about a rule that was since retired or deleted is simply not asked about.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["RuleUsage", "RuleUse", "UseKind", "new_use_id"]

UseKind = Literal["retrieved", "feedback"]


def new_use_id() -> str:
    """A fresh id for one use (two retrievals in the same millisecond are two uses)."""
    return "u:" + uuid.uuid4().hex


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return value


class RuleUse(BaseModel):
    """One retrieval of a rule by an agent, or one piece of feedback about it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_use_id)
    rule_id: str
    agent: str = Field(default="", description="The agent that used the rule ('' unknown).")
    kind: UseKind
    at: datetime
    helped: bool | None = Field(default=None, description="Feedback: whether the rule helped.")
    note: str = Field(default="", description="Feedback: the note as stored (redacted).")
    flags: list[str] = Field(
        default_factory=list, description="Feedback: injection flags raised by the note."
    )

    _tz = field_validator("at")(_utc)


class RuleUsage(BaseModel):
    """One rule's use by one agent: retrievals and feedback counts, first and last time."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    agent: str
    retrieved: int = 0
    helped: int = 0
    unhelpful: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def feedback(self) -> int:
        return self.helped + self.unhelpful
