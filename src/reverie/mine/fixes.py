"""What a fix consists of, and which part of it recurs across a motif's sessions.

A correction's summary (see :mod:`reverie.mine.recovery`) lists its parts,
``"; "``-separated: ``ran `mix format` first``, ``ran `npx tsc` instead of
`tsc```, ``added `--set-upstream```, ``changed `payment_methods```, ``used
`Glob` instead``, ``changed arguments``.
Two sessions rarely fix a failure with the very same summary (a commit message
changes, another file is read first), but they often share one part of it.
:func:`choose_basis` counts each part over the distinct sessions it followed
a failure in and picks the part a rule can be built on:

========== ========================================== ========
basis      part                                       priority
========== ========================================== ========
command    a program run first that the failure text  6
           names ("Run 'mix format' to fix", [CREDO])
invocation another invocation of the failed program,  5
           or another program in its place
flag       a flag added or removed                    4
field      an input field changed                     3
command    any other program or tool run first        2
instead    another tool used instead                  1
========== ========================================== ========

Only a *consistent* part qualifies: seen after failures in at least two
sessions and in at least half of the motif's sessions. Among those the
highest priority wins, then the most sessions. "changed arguments",
"retried unchanged" and a user's words are never a basis (see the motif's
kind for user corrections). No-op and bookkeeping tools (``think``,
``TodoWrite``, ``Task`` ...) never become a fix in the first place.

>>> basis = choose_basis(
...     [("s1", "retry", "ran `mix format` first"),
...      ("s2", "retry", "ran `mix test` first; ran `mix format` first; changed arguments")],
...     motif_sessions=2, text="[FORMAT] Code is not formatted. Run 'mix format' to fix.")
>>> basis.kind, basis.value, basis.sessions, basis.consistent
('command', 'mix format', 2, True)
>>> choose_basis([("s1", "retry", "ran `nl` first; ran `grep` first; changed arguments"),
...               ("s2", "retry", "added `-c`")], motif_sessions=2).consistent
False
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from reverie.models import Correction, Failure

__all__ = [
    "NOOP_TOOLS",
    "Basis",
    "bare_command",
    "choose_basis",
    "fixes_by_signature",
    "is_noop_tool",
    "name_level",
    "named_in",
    "parts",
    "phrase_of",
    "rows_for",
]

NOOP_TOOLS = frozenset(
    {
        "think", "todowrite", "todoread", "exitplanmode", "enterplanmode", "updateplan",
        "plan", "notes", "note", "task", "taskoutput", "agent", "askuserquestion", "skill",
        "submit", "finish", "finalanswer", "finaloutput", "transfertohumanagents",
    }
)
"""Tools that reason, plan, keep notes, delegate, ask or hand off: never a fix themselves."""
_ENDS_RUN = re.compile(r"^exit(?:_\w+)?$")
"""A scaffold's end of the run: SWE-agent's ``exit_cost``, ``exit_context``, ``exit_format``
... (autosubmission when a limit is hit) stop the run, they fix nothing."""
_RUNNERS = frozenset(
    {"mix", "npm", "npx", "pnpm", "yarn", "bun", "python", "uv", "cargo", "go", "git", "make",
     "bash", "sh", "node", "bundle", "rake", "poetry", "pip", "dotnet", "gradle", "mvn", "run"}
)
_PART = re.compile(
    r"^(ran|added|removed|changed|used|took|set) `([^`]+)`"
    r"(?: (first|instead|from|to)(?: of)?(?: `([^`]+)`)?)?$"
)
_QUALIFIERS = frozenset({"source", "setting"})
"""Parts that only qualify another (where a new value came from, what it became)."""
_PRIORITY = {"named": 6, "invocation": 5, "flag": 4, "field": 3, "command": 2, "instead": 1,
             "source": 0, "setting": 0}
FixRow = tuple[str, str, str]  # (session id, correction kind, summary)


@lru_cache(maxsize=1024)
def is_noop_tool(tool: str | None) -> bool:
    """Whether ``tool`` only reasons, plans, keeps notes, delegates, asks, hands off or ends
    the run.

    >>> is_noop_tool("think"), is_noop_tool("TodoWrite"), is_noop_tool("calculate")
    (True, True, False)
    >>> is_noop_tool("#"), is_noop_tool("exit_cost")  # a comment; the run's end
    (True, True)
    """
    if tool is None:
        return False
    if _ENDS_RUN.match(tool.lower()):
        return True
    name = re.sub(r"[\s_.-]", "", tool.lower())
    return name in NOOP_TOOLS or not any(c.isalnum() for c in name)  # "#": a comment


def name_level(program: str, text: str) -> int:
    """How ``text`` names ``program``: 2 the whole of it, 1 its own word, 0 not at all.

    A runner word alone (``mix``, ``npm``, ``git`` ...) does not count, nor a
    word that is part of a path or a longer word.

    >>> name_level("mix format", "Run 'mix format' to fix.")
    2
    >>> name_level("mix credo", "Pre-commit validation failed: [CREDO] Checking files")
    1
    >>> name_level("mix test", "[CREDO] test/a_test.exs: tests should be aliased")
    0
    """
    low = text.lower()
    name = program.lower()
    if len(name) >= 4 and re.search(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", low):
        return 2
    words = [w for w in re.split(r"[\s/]+", name) if len(w) >= 4 and w not in _RUNNERS]
    found = any(re.search(r"(?<![\w./-])" + re.escape(w) + r"(?![\w/.-])", low) for w in words)
    return 1 if found else 0


def named_in(program: str, text: str) -> bool:
    """Whether failure ``text`` names ``program`` (see :func:`name_level`)."""
    return name_level(program, text) > 0


def parts(kind: str, summary: str) -> list[tuple[str, str]]:
    """``(part kind, value)`` for each part of one fix summary.

    >>> parts("retry", "ran `Read` first; changed `old_string`")
    [('command', 'Read'), ('field', 'old_string')]
    >>> parts("retry", "ran `npx tsc` instead of `tsc`")
    [('invocation', 'npx tsc')]
    >>> parts("retry", "changed `file_path`; took `file_path` from `Glob`")
    [('field', 'file_path'), ('source', 'file_path from Glob')]
    >>> parts("retry", "added `--set-upstream`; changed arguments")
    [('flag', 'added --set-upstream')]
    >>> parts("other_tool", "used `Glob` instead"), parts("user", "no, use pnpm")
    ([('instead', 'Glob')], [])
    """
    if kind == "user":
        return []
    out: list[tuple[str, str]] = []
    for piece in summary.split("; "):
        found = _PART.match(piece.strip())
        if not found:
            continue
        verb, value, where, other = found.groups()
        if verb == "took" and other:
            out.append(("source", f"{value} from {other}"))
        elif verb == "set" and other is not None:
            out.append(("setting", f"{value}={other}"))
        elif verb == "ran" and where == "instead":
            out.append(("invocation", value))
        elif verb == "ran":
            out.append(("command", value))
        elif verb == "used":
            out.append(("instead", value))
        elif verb in ("added", "removed") and value.startswith("-"):
            out.append(("flag", f"{verb} {value}"))
        else:
            out.append(("field", value))
    return out


@dataclass
class Basis:
    """The part of the fixes a rule is built on (``kind`` None: no consistent part)."""

    kind: str | None = None
    value: str | None = None
    sessions: int = 0
    consistent: bool = False
    named: bool = False
    helper: str | None = None  # the tool a changed field's new value consistently came from
    to: str | None = None  # the value a changed field consistently became


def _phrase(kind: str, value: str) -> str:
    if kind == "command":
        return f"ran `{value}` first"
    if kind == "invocation":
        return f"ran `{value}` instead"
    if kind == "instead":
        return f"used `{value}` instead"
    if kind == "flag":
        verb, flag = value.split(" ", 1)
        return f"{verb} `{flag}`"
    return f"changed `{value}`"


def bare_command(value: str) -> str:
    """A command up to its first flag: the key under which invocations of it are counted.

    >>> bare_command("mix dialyzer --format short"), bare_command("npx tsc")
    ('mix dialyzer', 'npx tsc')
    """
    words = []
    for word in value.split():
        if word.startswith("-"):
            break
        words.append(word)
    return " ".join(words) or value


def _key(kind: str, value: str) -> str:
    """What parts are counted under: commands without their flags, also as a source."""
    if kind in ("command", "invocation"):
        return bare_command(value)
    if kind == "source":
        left, _, right = value.partition(" from ")
        return f"{left} from {bare_command(right)}"
    return value


def choose_basis(rows: Sequence[FixRow], motif_sessions: int, text: str = "") -> Basis:
    """The consistent part of ``rows`` (one per fixed failure) a rule can rest on.

    Commands run first or instead are counted by program (``mix credo`` and
    ``mix credo --strict`` are one part) and named as most often invoked.

    >>> choose_basis([("s1", "retry", "ran `mix credo --strict` first"),
    ...               ("s2", "retry", "ran `mix credo --strict` first; ran `ls` first"),
    ...               ("s3", "retry", "ran `mix credo` first")], motif_sessions=3).value
    'mix credo --strict'
    """
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    variants: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for session, kind, summary in rows:
        for part_kind, value in parts(kind, summary):
            key = (part_kind, _key(part_kind, value))
            seen[key].add(session)
            variants[key][value] += 1
    need = max(2, (motif_sessions + 1) // 2)
    ranked = []
    for (kind, normal), sessions in seen.items():
        # the most used invocation; on a tie the plainest (what every session has in common)
        value = max(variants[(kind, normal)].items(), key=lambda kv: (kv[1], -len(kv[0]), kv[0]))[0]
        named = kind == "command" and named_in(normal, text)
        prio = _PRIORITY["named" if named else kind]
        ranked.append((len(sessions) >= need, prio, len(sessions), kind, value, named))
    if not ranked:
        return Basis()
    ranked.sort(key=lambda r: (r[0], r[1], r[2], r[4]), reverse=True)
    bases = [r for r in ranked if r[3] not in _QUALIFIERS] or ranked
    ok, _, count, kind, value, named = bases[0]
    if kind in _QUALIFIERS:
        return Basis(sessions=count)
    if not ok:
        return Basis(sessions=count)
    helper = to = None
    if kind == "command":  # the failed call's new argument was read off this command
        looked = any(
            r[0] and r[3] == "source" and r[4].split(" from ", 1)[0].endswith(" argument")
            and bare_command(r[4].split(" from ", 1)[1]) == bare_command(value)
            for r in ranked
        )
        helper = value if looked else None
    if kind == "field":  # where the new value came from, or what it became, when that recurs
        source = next(
            (r[4] for r in ranked if r[0] and r[3] == "source"
             and r[4].split(" from ", 1)[0] == value),
            None,
        )
        helper = source.split(" from ", 1)[1] if source else None
        setting = next(
            (r[4] for r in ranked if r[0] and r[3] == "setting"
             and r[4].split("=", 1)[0] == value),
            None,
        )
        to = setting.split("=", 1)[1] if setting else None
    return Basis(kind=kind, value=value, sessions=count, consistent=True, named=named,
                 helper=helper, to=to)


def phrase_of(basis: Basis) -> str | None:
    """The basis as a summary part ("ran `mix format` first"), or None."""
    return _phrase(basis.kind, basis.value) if basis.kind and basis.value else None


def fixes_by_signature(
    failures: Iterable[Failure], corrections: Iterable[Correction]
) -> dict[str, list[FixRow]]:
    """Each signature's fixes as ``(session, kind, summary)`` rows, for :func:`choose_basis`."""
    by_id = {f.id: f for f in failures}
    out: dict[str, list[FixRow]] = defaultdict(list)
    for c in corrections:
        f = by_id.get(c.failure_id)
        if f is not None and f.signature_id:
            out[f.signature_id].append((f.session_id, c.kind, c.summary))
    return dict(out)


def rows_for(fixes: Mapping[str, list[FixRow]], signature_ids: Iterable[str]) -> list[FixRow]:
    """The fix rows of several signatures (one motif)."""
    return [row for sid in signature_ids for row in fixes.get(sid, [])]
