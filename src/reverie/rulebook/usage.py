"""The dream's view of how agents used the rules served to them (``reverie mcp``).

:class:`UsageReader` answers, for one tenant at the cycle's ``now``, over the
``[dream] usage_window_days`` before it:

- which agents retrieved any rule at all (:attr:`UsageReader.agents`): MCP
  use seen in the tenant. With none, nothing is judged: a workspace that does
  not serve its rules over MCP is never penalised for it;
- a rule's retrievals and feedback (:meth:`UsageReader.counts`), counted from
  the later of the window's start and the rule's last approval, so a reviewer
  who approves a rule again starts it afresh.

:func:`judge` turns that into the dream's decision about one approved rule
(docs/rules.md, "Use at run time"):

- **unhelpful**: at least ``usage_min_feedback`` feedback reports, most of
  them "did not help": the rule goes back to ``proposed`` with an
  ``unhelpful`` flag (it is no longer rendered or served) and its confidence
  is multiplied by (helped + 1) / (feedback + 2);
- **unused**: MCP use was seen in the tenant by an agent the rule is for,
  the rule was approved before the window started, and no agent retrieved it
  in the window: it keeps its status, gets an ``unused`` flag for a reviewer
  (retire it, or approve it again) and its confidence is halved.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, NamedTuple

from reverie.rulebook.rules import Rule

if TYPE_CHECKING:
    from reverie.store.base import GraphStore
    from reverie.store.usage_base import RuleUsage

__all__ = [
    "APPROVALS",
    "UNHELPFUL",
    "UNUSED",
    "USAGE_FLAGS",
    "UsageReader",
    "UseCounts",
    "Verdict",
    "judge",
    "last_approval",
]

UNHELPFUL: Literal["unhelpful"] = "unhelpful"
UNUSED: Literal["unused"] = "unused"
USAGE_FLAGS = (UNHELPFUL, UNUSED)
APPROVALS = ("review.approve", "auto_approve")
UNUSED_FACTOR = 0.5


class UseCounts(NamedTuple):
    """A rule's use since ``since``."""

    since: datetime
    retrieved: int
    helped: int
    unhelpful: int

    @property
    def feedback(self) -> int:
        return self.helped + self.unhelpful


class Verdict(NamedTuple):
    """What :func:`judge` decided: the flag, why, the new confidence and the counts."""

    kind: Literal["unhelpful", "unused"]
    reason: str
    confidence: float
    counts: UseCounts


def last_approval(rule: Rule) -> datetime:
    """When the rule was last approved (by a reviewer or the policy); else its creation."""
    times = [h.at for h in rule.history if h.action in APPROVALS]
    return max(times, default=rule.created)


def _sum(rows: Iterable[RuleUsage], since: datetime) -> UseCounts:
    retrieved = helped = unhelpful = 0
    for r in rows:
        retrieved, helped, unhelpful = (
            retrieved + r.retrieved, helped + r.helped, unhelpful + r.unhelpful
        )
    return UseCounts(since, retrieved, helped, unhelpful)


class UsageReader:
    """A tenant's rule use over the window before ``now`` (see the module docstring)."""

    def __init__(self, store: GraphStore, tenant: str, now: datetime, window_days: int,
                 min_feedback: int = 3):
        self.store, self.tenant, self.now = store, tenant, now
        self.window_days, self.min_feedback = window_days, min_feedback
        self.start = now - timedelta(days=window_days)
        rows = store.rule_usage(tenant, since=self.start)
        self._by_rule: dict[str, list[RuleUsage]] = {}
        for row in rows:
            self._by_rule.setdefault(row.rule_id, []).append(row)
        self.agents: set[str] = {r.agent for r in rows if r.retrieved}

    def counts(self, rule: Rule) -> UseCounts:
        """The rule's use since the later of the window's start and its last approval."""
        since = max(self.start, last_approval(rule))
        if since == self.start:
            return _sum(self._by_rule.get(rule.id, []), since)
        return _sum(self.store.rule_usage(self.tenant, since=since, rule_ids=[rule.id]), since)

    def for_audience(self, rule: Rule) -> bool:
        """Whether an agent the rule is for retrieved rules in the window."""
        if rule.scope.agents == "fleet":
            return bool(self.agents)
        return bool(self.agents & set(rule.scope.agents))


def judge(rule: Rule, usage: UsageReader) -> Verdict | None:
    """The dream's usage decision about ``rule`` (approved, not seeded), or None."""
    if rule.seeded or rule.status != "approved" or not usage.agents:
        return None
    counts = usage.counts(rule)
    if counts.feedback >= usage.min_feedback and counts.unhelpful > counts.helped:
        factor = (counts.helped + 1) / (counts.feedback + 2)
        return Verdict(
            UNHELPFUL,
            f"agents reported it unhelpful in {counts.unhelpful} of {counts.feedback} uses "
            f"since {counts.since.date().isoformat()}; back to review",
            round(rule.confidence * factor, 3),
            counts,
        )
    if rule.open_flags(UNUSED) or counts.retrieved or not usage.for_audience(rule):
        return None
    if last_approval(rule) > usage.start:
        return None
    return Verdict(
        UNUSED,
        f"no agent retrieved it over MCP in {usage.window_days} days while its agents "
        "retrieved other rules",
        round(rule.confidence * UNUSED_FACTOR, 3),
        counts,
    )
