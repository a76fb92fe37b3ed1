"""Text actions for mapping files: tool calls written as text, results in the next message.

Many agents act through text (``Action: search[query]``, ``GET /path?x=1``, a
fenced ``bash`` block) and the scaffold answers in the next user or
observation message. A mapping declares such actions under ``actions``::

    actions:
      - pattern: '^Action: (?P<tool>\\w+)\\[(?P<query>.*)\\]'
      - pattern: '(?s)```bash\\n(?P<command>.*?)```'
        tool: bash

This module holds the pieces that do not depend on the rest of a mapping:
the regular-expression field type (compiled, and checked, when the mapping
loads), :class:`TextAction` and its match, and the reading of a result's text
(exit code, error).

>>> action = TextAction(pattern=r"^Action: (?P<tool>\\w+)\\[(?P<query>.*)\\]")
>>> action.match("Thought: look it up\\nAction: search[Ada Lovelace]")
('search', {'query': 'Ada Lovelace'})
>>> result_status("Traceback (most recent call last):", DEFAULT_ERROR_PATTERN, None)
(None, True)
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from reverie.adapters._common import parse_json_arg, to_int

__all__ = [
    "DEFAULT_ERROR_PATTERN",
    "Regex",
    "TextAction",
    "action_problems",
    "find_action",
    "result_status",
]


def _compile(value: Any) -> Any:
    """A string becomes a multiline pattern; an invalid one is a readable error."""
    if not isinstance(value, str):
        return value
    try:
        return re.compile(value, re.MULTILINE)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc


Regex = Annotated[re.Pattern[str], BeforeValidator(_compile)]
"""A regular expression in a mapping file, compiled with ``re.MULTILINE``."""

DEFAULT_ERROR_PATTERN = re.compile(
    r"^\s*(?:Error\b|ERROR\b|error:|Exception\b|Traceback \(most recent call last\))"
    r"|command not found|No such file or directory"
    r"|(?i:\bexit (?:code|status)|\breturn ?code)\W{0,3}-?[1-9]",
    re.MULTILINE,
)
"""Default ``error_pattern``: a result line starting with ``Error`` / ``ERROR`` /
``error:`` / ``Exception`` / a traceback, ``command not found``, ``No such file or
directory``, or a non-zero ``exit code N`` / ``exit status N`` / ``returncode N``."""


class TextAction(BaseModel):
    """One way an agent writes a tool call as text."""

    model_config = ConfigDict(extra="forbid")

    pattern: Regex = Field(
        description="Regular expression searched in assistant messages (multiline; "
        "(?s) lets . cross lines)."
    )
    tool: str | None = Field(
        None, description="Fixed tool name; omitted: the text of the pattern's group 'tool'."
    )
    input: str | None = Field(
        None,
        description="Group whose text (decoded when JSON) is the whole input; omitted: "
        "the named groups other than 'tool', as an object.",
    )

    def match(self, text: str) -> tuple[str, Any] | None:
        """``(tool, input)`` of the first match in ``text``, or None."""
        found = self.pattern.search(text)
        if found is None:
            return None
        tool = (self.tool or found.group("tool") or "").strip()
        if not tool:
            return None
        if self.input is not None:
            return tool, parse_json_arg(found.group(self.input))
        groups = {k: v for k, v in found.groupdict().items() if k != "tool" and v is not None}
        return tool, groups or None


def find_action(actions: list[TextAction], text: str) -> tuple[str, Any] | None:
    """The first action (in mapping order) that matches ``text``: ``(tool, input)``."""
    for action in actions:
        found = action.match(text)
        if found is not None:
            return found
    return None


def action_problems(actions: list[TextAction]) -> list[str]:
    """What is wrong with declared actions that a field type cannot see (group names)."""
    problems = []
    for index, action in enumerate(actions):
        groups = action.pattern.groupindex
        if action.tool is None and "tool" not in groups:
            problems.append(
                f"field 'actions.{index}.tool': give a tool name, or a group "
                "(?P<tool>...) in the pattern"
            )
        if action.input is not None and action.input not in groups:
            problems.append(
                f"field 'actions.{index}.input': the pattern has no group named '{action.input}'"
            )
    return problems


def result_status(
    text: str, error_pattern: re.Pattern[str], exit_code_pattern: re.Pattern[str] | None
) -> tuple[int | None, bool]:
    """``(exit code, is error)`` read from a text action's result."""
    code = None
    if exit_code_pattern is not None:
        found = exit_code_pattern.search(text)
        code = to_int(found.group(1)) if found else None
    return code, code not in (None, 0) or error_pattern.search(text) is not None
