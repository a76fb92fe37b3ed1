"""The statuses a rule can have, in a module with no dependencies.

The rule book (:mod:`reverie.rulebook.rules`) validates rule files against
them, and ``reverie rules list --help`` names them without loading the rule book.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["RULE_STATUSES", "RuleStatus"]

RuleStatus = Literal["proposed", "approved", "rejected", "retired", "quarantined"]
RULE_STATUSES: tuple[str, ...] = get_args(RuleStatus)
