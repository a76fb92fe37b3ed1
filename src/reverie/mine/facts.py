"""The facts a rule must name: what failed, its root cause, and what fixed it.

Mining reduces each motif to one :class:`FixFacts`: the class of fix the
evidence shows, the observed commands, flags, tools or the user's words, how
often the fix followed the failure, whether it was verified (its own result
succeeded), and whether it is destructive. Every distiller writes the rule
from these facts, and a directive that names none of them is not a rule
(:func:`names_a_fact`).

========================  ==================================================  =====================
class                     the evidence shows                                  example directive
========================  ==================================================  =====================
``ran_first``             a program run first, in the same call               Run `docker login`
                          (``docker login && docker push``) or an earlier     before `docker push`.
                          successful call
``ran_instead``           another invocation of the same program, or another  Run `npx tsc`, not
                          program in its place                                `tsc`.
``flag``                  the same program with a flag added or removed       Run `mix credo
                                                                              --strict`, not `mix
                                                                              credo`.
``argument``              the same call with one argument (a field of a       Before calling
                          structured tool) changed                            book_reservation, ...
``other_tool``            another tool used in its place                      Use Glob to find the
                                                                              path before Read.
``user``                  the user corrected, rejected or interrupted the     (the user's words)
                          action
``environment``           the failure's root cause is the environment (a      Do not run `javac`
                          missing command, toolchain, module or variable),    here: ...
                          not the agent's call
``none``                  no fix recurred: the rule states the failure and    (none: a reviewer
                          waits for a reviewer (``needs-directive``)          writes it)
========================  ==================================================  =====================
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ENVIRONMENT_CAUSES",
    "FIX_CLASSES",
    "USER_KINDS",
    "Cause",
    "FixClass",
    "FixFacts",
    "build_facts",
    "fact_terms",
    "names_a_fact",
    "plain_error",
]

FixClass = Literal[
    "ran_first", "ran_instead", "flag", "argument", "other_tool", "user", "environment", "none"
]
FIX_CLASSES: tuple[str, ...] = (
    "ran_first", "ran_instead", "flag", "argument", "other_tool", "user", "environment", "none"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cause(_Model):
    """A failure's root cause, shared by failures of several programs (one motif)."""

    kind: str = Field(description="missing_command, missing_toolchain, missing_module, ...")
    group: str | None = Field(
        default=None, description="What the subjects have in common (a toolchain: java)."
    )
    subjects: list[str] = Field(
        default_factory=list, description="The commands, modules, files or variables named."
    )


class FixFacts(_Model):
    """What the evidence shows about one motif: the facts its rule must name.

    Values are as observed (commands with their flags), never placeholders:
    a value that differs between sessions is left out (``None``).
    """

    cls: FixClass = "none"
    failed: str | None = Field(
        default=None, description="The failed action: a program with its subcommand, or a tool."
    )
    error: str = Field(default="", description="The failure's decisive line, in plain words.")
    error_example: bool = Field(
        default=False,
        description="``error`` is one real failure of several that vary too much to merge.",
    )
    fix: str | None = Field(
        default=None,
        description=(
            "The observed fix: the command run first or instead, the fixed invocation (flag), "
            "the other tool, or the changed argument's name."
        ),
    )
    flag: str | None = None
    flag_action: Literal["added", "removed"] | None = None
    argument: str | None = Field(default=None, description="Which argument or field changed.")
    value: str | None = Field(
        default=None, description="What the argument became, when the same in every session."
    )
    helper: str | None = Field(
        default=None, description="A command run first next to a changed argument."
    )
    quote: str | None = Field(default=None, description="The user's words (redacted).")
    quote_ref: dict[str, Any] | None = Field(
        default=None, description="Where the user said it: event_id, file, line."
    )
    rejected: str | None = Field(
        default=None, description="The call the user rejected or corrected, as observed."
    )
    named: bool = Field(
        default=False, description="The failure text itself names the fix (Run 'mix format')."
    )
    sessions: int = Field(default=0, ge=0, description="Sessions the fix followed a failure in.")
    of: int = Field(default=0, ge=0, description="Sessions of the motif.")
    rate: float = Field(default=0.0, ge=0, description="Share of failures the fix followed.")
    verified: bool = Field(
        default=False, description="Every fix counted had a successful result of its own."
    )
    destructive: list[str] = Field(
        default_factory=list,
        description="Why following the fix everywhere could do harm (deletes, forces, ...).",
    )
    notice: bool = Field(
        default=False,
        description="The failure is a scaffold's format notice that says what to do, and "
        "retries that did so succeeded: the notice is the fix.",
    )
    task_known: int = Field(
        default=0, ge=0, description="Sessions with the fix whose outcome is known."
    )
    task_failed: int = Field(
        default=0, ge=0, description="Of those, sessions whose task still failed."
    )
    cause: Cause | None = None

    @property
    def needs_directive(self) -> bool:
        """No fix a rule can rest on: a reviewer must write the directive."""
        return self.cls == "none"




def fact_terms(facts: FixFacts) -> list[str]:
    """The observed values a directive may name (commands, flags, tools, the user's words).

    >>> fact_terms(FixFacts(cls="flag", failed="mix credo", fix="mix credo --strict",
    ...                     flag="--strict", flag_action="added"))
    ['mix credo --strict', '--strict']
    """
    terms: list[str | None] = []
    if facts.cls in ("ran_first", "ran_instead", "other_tool"):
        terms += [facts.fix]
    elif facts.cls == "flag":
        terms += [facts.fix, facts.flag]
    elif facts.cls == "argument":
        terms += [facts.argument, facts.value, facts.helper]
        if facts.notice:
            terms += [facts.error]
    elif facts.cls == "user":
        terms += [facts.quote]
    elif facts.cls == "environment" and facts.cause is not None:
        terms += [*facts.cause.subjects, facts.cause.group]
    return [t for t in dict.fromkeys(terms) if t]


def names_a_fact(directive: str, facts: FixFacts) -> bool:
    """Whether a directive names at least one observed fact (else it is vacuous).

    A quoted user correction counts when a run of four of its words appears.

    >>> f = FixFacts(cls="ran_first", failed="docker push", fix="docker login")
    >>> names_a_fact("Run `docker login` before `docker push`.", f)
    True
    >>> names_a_fact("Check the preconditions of `docker push` before running it.", f)
    False
    """
    low = " ".join(directive.lower().split())
    for term in fact_terms(facts):
        t = " ".join(term.lower().split()).rstrip(".!?")
        if facts.cls == "user" and term == facts.quote:
            words = re.findall(r"[\w'-]+", t)
            if len(words) < 4 and t in low:
                return True
            if any(" ".join(words[i : i + 4]) in low for i in range(len(words) - 3)):
                return True
            continue
        if t and t in low:
            return True
    return False


USER_KINDS = frozenset({"correction", "interruption", "rejection"})
"""Motif kinds where the user, not a tool, stopped the agent."""
ENVIRONMENT_CAUSES = frozenset({"missing_command", "missing_toolchain", "missing_env"})
"""Root causes in the environment, not in the agent's call: nothing the agent did fixed them."""
_UNLIKELY = 0.1
"""Every task with the fix failed, where the tenant's failure rate makes that this unlikely."""
_FIX_CLASS = {
    "command": "ran_first",
    "invocation": "ran_instead",
    "flag": "flag",
    "field": "argument",
    "instead": "other_tool",
}


def plain_error(template: str, raws: Sequence[str]) -> tuple[str, bool]:
    """The failure in plain words, and whether it is one example of varying failures.

    Placeholders become the value every failure agrees on, else plain words
    (:func:`reverie.mine.normalize.humanize`). When the template's own words
    were generalized away (two or more ``<*>`` slots), the most common real
    failure line is quoted as an example instead.

    >>> plain_error("- E999 <*> <*> <*>", ["- E999 SyntaxError: invalid syntax",
    ...             "- E999 IndentationError: unexpected indent",
    ...             "- E999 SyntaxError: invalid syntax"])
    ('E999 SyntaxError: invalid syntax', True)
    """
    from reverie.mine.normalize import humanize

    if template.count("<*>") >= 2 and raws:
        common = Counter(r.strip() for r in raws if r.strip()).most_common(1)
        if common:
            return _unwrapped(humanize(common[0][0], [common[0][0]])), True
    return _unwrapped(humanize(template, raws)), False


_WRAPPER_TAG = re.compile(r"<([a-z][a-z_-]*)>(.*?)</\1>", re.S)
_EXIT_PREFIX = re.compile(r"^(?:exit code|exited with code)\s*-?\d+\s*:?\s*", re.I)


def _unwrapped(text: str) -> str:
    """Without a scaffold's wrapper tags (``<tool_use_error>``) or "Exit code 1" prefix.

    >>> _unwrapped("<tool_use_error>File does not exist.</tool_use_error>")
    'File does not exist.'
    >>> _unwrapped("Exit code 1 Pre-commit validation failed: [FORMAT]")
    'Pre-commit validation failed: [FORMAT]'
    >>> _unwrapped("Usage: search_file <search_term> [<file>]")
    'Usage: search_file <search_term> [<file>]'
    """
    text = _EXIT_PREFIX.sub("", _WRAPPER_TAG.sub(r"\2", text).strip())
    return " ".join(text.split()) or text


def build_facts(motif: Any, error: str | None = None) -> FixFacts:
    """The facts of a mined motif (a :class:`~reverie.models.Motif`), from its recovery.

    Mining's recovery names the consistent part of the fixes (``basis``, see
    :mod:`reverie.mine.fixes`); only a consistent part makes a fix class, and
    a motif whose root cause is the environment without one is ``environment``.
    A changed argument is a fix only with what it was changed to (the tool its
    new value came from); a fix that let the call pass while the task still
    failed in every session with a known outcome, more often than the tenant's
    failure rate explains (chance below 10%), is no fix. Both become ``none``,
    what was observed kept for the reviewer.
    ``error`` is the failure in plain words (default: the template's decisive
    line with its placeholders as plain words).

    >>> from reverie.models import Motif
    >>> m = Motif(id="m", tenant="t", tool="Bash", program="docker push", kind="exit_code",
    ...           template="denied: requested access to the resource is denied",
    ...           signature_ids=["s"], sessions=["a", "b"], agents=["x"], support=2,
    ...           trust_support=1.2, recovery={"basis": "command", "value": "docker login",
    ...           "consistent": True, "sessions": 2, "rate": 1.0, "kind": "retry"})
    >>> f = build_facts(m)
    >>> f.cls, f.failed, f.fix, f.sessions, f.of, f.verified
    ('ran_first', 'docker push', 'docker login', 2, 2, True)
    """
    from reverie.mine.destructive import destructive_reasons
    from reverie.mine.normalize import humanize

    rec: dict[str, Any] = dict(motif.recovery or {})
    failed = motif.program or motif.tool
    facts = FixFacts(
        failed=failed,
        error=error if error is not None else humanize(motif.template, []),
        of=len(motif.sessions),
        rate=float(rec.get("rate") or 0.0),
        named=bool(rec.get("named")),
        cause=Cause.model_validate(motif.cause) if motif.cause else None,
    )
    basis = rec.get("basis") if rec.get("consistent") else None
    value = rec.get("value")
    if motif.kind in USER_KINDS:
        facts.cls = "user"
        facts.rejected = failed
        if rec.get("kind") == "user" and rec.get("fix"):
            facts.quote = str(rec["fix"])
        facts.sessions = len(motif.sessions)
    elif basis in _FIX_CLASS and value:
        outcomes = rec.get("outcomes") or {}
        facts.task_known = int(outcomes.get("known") or 0)
        facts.task_failed = int(outcomes.get("failed") or 0)
        facts.cls = _FIX_CLASS[basis]  # type: ignore[assignment]
        facts.sessions = int(rec.get("sessions") or 0)
        facts.verified = True  # recovery counts a fix only when its own result succeeded
        if basis == "flag":
            action, flag = str(value).split(" ", 1)
            facts.flag, facts.flag_action = flag, action  # type: ignore[assignment]
            facts.fix = f"{failed} {flag}" if action == "added" else failed
        elif basis == "field":
            facts.argument, facts.helper = str(value), rec.get("helper")
            facts.value = rec.get("to")
            if motif.kind == "format_error" and not facts.value:  # its notice says what to do
                facts.notice = True
            elif not facts.helper and not facts.value:  # which argument, but not to what
                facts.cls = "none"
        else:
            facts.fix = str(value)
            if basis == "command" and rec.get("helper") == value:
                facts.helper = str(value)  # the failed call's new argument was read off it
    elif facts.cause is not None and facts.cause.kind in ENVIRONMENT_CAUSES:
        facts.cls = "environment"
        facts.sessions = len(motif.sessions)
    base = float((rec.get("outcomes") or {}).get("base", 0.5))
    if (
        facts.task_known >= 2 and facts.task_failed == facts.task_known
        and base**facts.task_known < _UNLIKELY
    ):
        facts.cls = "none"  # the call passed, but the tasks failed more than chance says
    for command in (facts.fix, facts.helper):
        facts.destructive += destructive_reasons(command)
    if facts.cls == "flag" and facts.flag_action == "added":
        facts.destructive += destructive_reasons(f"{failed} {facts.flag}")
    facts.destructive = list(dict.fromkeys(facts.destructive))
    return facts
