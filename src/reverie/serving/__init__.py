"""Rules served to agents at run time (``reverie mcp``), and their use recorded.

- :mod:`reverie.serving.matching`: which rules apply to a tool, a command, a task;
- :mod:`reverie.serving.query`: ``rules_for``, ``explain_rule``, the rules section;
- :mod:`reverie.serving.usage`: retrievals and feedback, in the store and the audit log;
- :mod:`reverie.serving.server`: the MCP server over them (needs ``reverie[mcp]``).
"""

from __future__ import annotations

from reverie.serving.matching import Situation
from reverie.serving.query import ServedRule, explain_rule, rules_for, rules_section
from reverie.serving.usage import record_feedback, record_retrievals

__all__ = [
    "ServedRule",
    "Situation",
    "explain_rule",
    "record_feedback",
    "record_retrievals",
    "rules_for",
    "rules_section",
]
