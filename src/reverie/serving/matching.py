"""Which rules apply to what an agent is about to do: a tool, a command, a task.

A rule is matched against a :class:`Situation` (every part optional) by three
tests; each part given must pass, and a rule passes a test it says nothing about:

- **tool**: the rule's ``scope.tools`` is empty or names the tool (any case).
  A command without a tool counts as a shell tool's.
- **program**: the command's programs (read as shell, like mining reads them:
  :func:`reverie.mine.program.programs_of`) against the rule's programs: its
  motif's program, a seeded rule's ``matches[].failed`` actions, and the
  commands quoted in backticks in its condition (``when``). ``git commit``
  matches a rule about ``git commit`` or about ``git``; a rule that names no
  program applies to any command.
- **condition**: the task shares a word with the rule's condition or title
  (words of four letters or more, common words left out), or mentions one of
  its programs.

>>> rule = RuleTerms(tools=("Bash",), programs=("git commit",), words=frozenset({"commit"}))
>>> matches(rule, Situation(command="cd repo && git commit -m x"))
['tool Bash', 'program git commit']
>>> matches(rule, Situation(command="pytest -x")) is None
True
>>> matches(rule, Situation(task="Commit the fix"))
['condition: commit']
>>> matches(rule, Situation(tool="Edit")) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from reverie.mine.program import is_shell_tool, program_of, programs_of
from reverie.rulebook.rules import Rule

__all__ = ["RuleTerms", "Situation", "condition_words", "matches", "rule_terms"]

_WORD = re.compile(r"[a-z][a-z0-9_+-]{3,}")
_QUOTED = re.compile(r"`([^`\n]+)`")
_COMMON = frozenset({
    "about", "after", "again", "also", "always", "another", "anything", "before", "being",
    "between", "both", "changing", "code", "command", "commands", "could", "does", "doing",
    "done", "each", "every", "file", "files", "first", "from", "have", "into", "just", "last",
    "made", "more", "most", "must", "need", "never", "next", "only", "other", "over",
    "repository", "same", "should", "some", "such", "than", "that", "their", "them", "then",
    "there", "these", "they", "this", "those", "through", "under", "until", "upon", "using",
    "very", "want", "were", "what", "when", "where", "which", "while", "will", "with", "within",
    "without", "work", "would", "your", "project"
})


@dataclass(frozen=True)
class Situation:
    """What the agent is doing: any of a tool name, a command line, a task in words."""

    tool: str | None = None
    command: str | None = None
    task: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.tool or self.command or self.task)


@dataclass(frozen=True)
class RuleTerms:
    """What a rule is about, as the tests read it: tools, programs, condition words."""

    tools: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    words: frozenset[str] = frozenset()


def condition_words(text: str) -> frozenset[str]:
    """The words of ``text`` that can tie a task to a condition (four letters or more, common
    words left out), lowercased.

    >>> sorted(condition_words("Before any `git commit` in a repository with a formatter"))
    ['commit', 'formatter', 'git']
    """
    found = set(_WORD.findall(text.lower())) - _COMMON
    found |= {w for span in _QUOTED.findall(text) for w in span.lower().split() if w.isalpha()}
    return frozenset(found)


def rule_terms(rule: Rule, motif_program: str | None = None) -> RuleTerms:
    """The terms of ``rule`` (``motif_program``: its motif's program, when the store has it)."""
    programs = [motif_program] if motif_program else []
    programs += [f for p in rule.matches for f in p.failed]
    programs += [p for span in _QUOTED.findall(rule.when) if (p := program_of(span))]
    return RuleTerms(
        tools=tuple(rule.scope.tools),
        programs=tuple(dict.fromkeys(p.lower() for p in programs)),
        words=condition_words(f"{rule.title} {rule.when}"),
    )


def _program_hit(ran: Iterable[str], programs: tuple[str, ...]) -> str | None:
    for p in ran:
        for q in programs:
            if p == q or p.startswith(q + " "):
                return q
    return None


def matches(terms: RuleTerms, situation: Situation) -> list[str] | None:
    """Why the rule applies to ``situation`` (what matched; ``[]`` for an empty situation), or
    None when it does not."""
    why: list[str] = []
    tools = {t.lower(): t for t in terms.tools}
    if situation.tool:
        if tools and situation.tool.lower() not in tools:
            return None
        if tools:
            why.append(f"tool {tools[situation.tool.lower()]}")
    elif situation.command and tools:
        shell = [t for t in terms.tools if is_shell_tool(t)]
        if not shell:
            return None
        why.append(f"tool {shell[0]}")
    if situation.command and terms.programs:
        ran = [p.lower() for p in programs_of(situation.command)]
        hit = _program_hit(ran, terms.programs)
        if hit is None:
            return None
        why.append(f"program {hit}")
    if situation.task:
        task = situation.task.lower()
        shared = sorted(condition_words(situation.task) & terms.words)
        named = [p for p in terms.programs if p in task]
        if not shared and not named:
            return None
        why.append("condition: " + ", ".join(shared or named))
    return why
