"""Recovery: what happened after a failure that worked.

For each failure in a session, :func:`recover_session` looks forward (at most
``window`` events) for

- ``retry``: the next successful call of the same tool (and, for shell tools,
  the same program); for one check of a multi-check failure (``[CREDO]`` in
  a pre-commit hook's output), also the next call of the same action that
  fails only with *other* checks: that check passed. The correction's
  summary says how its input differed from the failed call's, reading both
  command lines as shell (:mod:`reverie.mine.shell`): the commands run first,
  in an earlier call or earlier in the same call (``docker login && docker
  push``: "ran `docker login` first"), another launcher or name for the same
  program ("ran `npx tsc` instead of `tsc`"), flags added or removed ("added
  `--set-upstream`"), changed fields of a structured input ("changed
  `old_string`"), or "retried unchanged". Commands are named as invoked, with
  their flags ("ran `mix credo --strict` first"). Of the commands run in
  between, those the failure text names ("Run 'mix format' to fix",
  "[CREDO]" for ``mix credo``) win; else the last two;
- ``user``: the user's words, when the user corrected, interrupted or
  rejected the action (the correction turn itself, or the user turn that
  follows a rejection or an interruption). A user turn that is no correction
  (an answer to the agent's question, a confirmation) does not end the
  search: the agent's next successful retry is still the fix;
- ``other_tool``: the first call after the failure used another tool or
  program (not an installer: installing a missing command fixes nothing until
  the command runs), succeeded, and the failed action was not retried later ("used
  `Glob` instead"; for another program in the same shell tool, "ran `gradle
  test` instead of `mvn test`").

A fix counts only when its own result succeeded: a retry that timed out, hit a
shell syntax error or a scaffold's format error is itself a detected failure
(:mod:`reverie.mine.detect`) and never a fix.

No-op and bookkeeping tools (``think``, ``TodoWrite``, ``Task``, ``AskUserQuestion``
..., see :data:`reverie.mine.fixes.NOOP_TOOLS`) are never a fix: they are
skipped, neither "used instead" nor "ran first".

Summaries hold programs, flags and field names only (values masked), so the
same fix reads the same in every session and recovery consistency can be
counted; a user's correction keeps the user's words (redacted at ingest),
which its rule quotes. ``steps`` is the number of tool calls until the fix, ``tokens`` the
model tokens spent on the way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from reverie.ids import make_id
from reverie.mine.detect import correction_kind
from reverie.mine.fixes import is_noop_tool, name_level
from reverie.mine.normalize import mask
from reverie.mine.program import command_of, commands_run, program_of
from reverie.mine.shell import INSTALLS, SimpleCommand, invocation, parse
from reverie.mine.signature import USER_KINDS
from reverie.models import Correction, Failure
from reverie.store.mining_base import MiningEvent

__all__ = ["diff_inputs", "recover_session"]

WINDOW = 80
_WRAPPER = re.compile(r"^\s*<[a-z][\w-]*>")
_CHECK = re.compile(r"\[([A-Z][A-Z0-9_ -]{2,30})\]\s*$")
_MAX_SUMMARY = 200


def _decode(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw


def _flags(cmd: SimpleCommand | None) -> list[str]:
    return [mask(f) for f in cmd.flags] if cmd is not None else []


def _target(commands: Sequence[SimpleCommand], program: str | None) -> int | None:
    """Index of the command that runs ``program`` (the last such), else of the last program."""
    hits = [i for i, c in enumerate(commands) if program and c.program == program]
    if hits:
        return hits[-1]
    named = [i for i, c in enumerate(commands) if not c.setup]
    return named[-1] if named else None


def _launch(cmd: SimpleCommand) -> str:
    """How a command was launched, without its flags: ``npx tsc``, ``python -m pytest``."""
    out = ""
    for part in (*cmd.launcher, cmd.program):
        out += part if not out or out.endswith("/") else " " + part
    return out


def shell_diff(old: str, new: str, program: str | None) -> list[str]:
    """How a successful shell retry differs from the failed command line, in summary parts.

    Commands the new line runs before the failed program (``docker login &&
    docker push``) were *run first*; another launcher or another name for the
    same program (``npx tsc`` for ``tsc``) was *run instead*; then the flags
    added or removed; else "changed arguments".

    >>> shell_diff("docker push app:1", "docker login && docker push app:1", "docker push")
    ['ran `docker login` first']
    >>> shell_diff("tsc --noEmit", "npx tsc --noEmit", "tsc")
    ['ran `npx tsc` instead of `tsc`']
    >>> shell_diff("mix credo", "mix credo --strict", "mix credo")
    ['added `--strict`']
    >>> shell_diff("git push", "git push -u origin main", "git push")
    ['added `-u`']
    """
    before = [c for c in parse(old) if not c.substitution]
    after = [c for c in parse(new) if not c.substitution]
    i, j = _target(before, program), _target(after, program)
    parts: list[str] = []
    earlier = {c.program for c in before[: i if i is not None else len(before)]}
    for cmd in after[: j if j is not None else 0]:
        if not cmd.setup and cmd.program not in earlier and cmd.program != program:
            parts.append(f"ran `{invocation(cmd)}` first")
    was, now = (before[i] if i is not None else None), (after[j] if j is not None else None)
    if was is not None and now is not None and (
        was.launcher != now.launcher or was.head != now.head
    ):
        parts.append(f"ran `{_launch(now)}` instead of `{_launch(was)}`")
    old_flags, new_flags = _flags(was), _flags(now)
    added = [f for f in dict.fromkeys(new_flags) if f not in old_flags]
    removed = [f for f in dict.fromkeys(old_flags) if f not in new_flags]
    parts += [f"added `{f}`" for f in added[:3]] + [f"removed `{f}`" for f in removed[:3]]
    if not parts and old.split() != new.split():
        parts.append("changed arguments")
    return list(dict.fromkeys(parts))


_SETTING = re.compile(r"^[\w.:+-]{1,40}$")


def diff_inputs(
    failed: Any, fixed: Any, shell: bool, ran_first: Sequence[str] = (),
    program: str | None = None,
) -> str:
    """How a successful retry's input differs from the failed one's, in words.

    >>> diff_inputs({"command": "git push"}, {"command": "git push -u origin x"}, True)
    'added `-u`'
    >>> diff_inputs({"command": "git commit -m a"}, {"command": "git commit -m b"}, True,
    ...             ["mix format"])
    'ran `mix format` first; changed arguments'
    >>> diff_inputs({"file_path": "/a", "old_string": "x"}, {"file_path": "/a", "old_string": "y"},
    ...             False, ["Read"])
    'ran `Read` first; changed `old_string`; set `old_string` to `y`'
    >>> diff_inputs({"status": "resolved"}, {"status": "closed"}, False)
    'changed `status`; set `status` to `closed`'
    """
    parts = [f"ran `{p}` first" for p in ran_first[-2:]]
    if shell:
        old, new = command_of(failed) or "", command_of(fixed) or ""
        parts += [p for p in shell_diff(old, new, program) if p not in parts]
    elif isinstance(failed, dict) and isinstance(fixed, dict):
        for key in sorted(set(failed) | set(fixed)):
            if key not in failed:
                parts.append(f"added `{key}`")
            elif key not in fixed:
                parts.append(f"removed `{key}`")
            elif failed[key] != fixed[key]:
                parts.append(f"changed `{key}`")
                value = fixed[key]
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    text = str(value)
                    if _SETTING.match(text):  # a word-like value, not text or code
                        parts.append(f"set `{key}` to `{text}`")
    elif failed != fixed:
        parts.append("changed input")
    return "; ".join(parts) or "retried unchanged"


def _first_line(text: str | None) -> str:
    """A user's words as a summary: their first line, as stored (redacted at ingest).

    The words are what a rule quotes, so they are not masked; user corrections
    are never counted as a recurring part of a fix (see :mod:`reverie.mine.fixes`).
    """
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    line = " ".join(line.split())
    return line if len(line) <= _MAX_SUMMARY else line[: _MAX_SUMMARY - 1].rstrip() + "…"


class _Calls:
    """The session's tool calls with their outcome (failed or not) and program."""

    def __init__(self, events: Sequence[MiningEvent], failures: Sequence[Failure]):
        self.events = events
        self.index = {ev.id: i for i, ev in enumerate(events)}
        self.calls = {ev.id: ev for ev in events if ev.kind == "tool_call"}
        self.result_of: dict[str, MiningEvent] = {}
        for ev in events:
            if ev.kind == "tool_result" and ev.answers_id:
                self.result_of.setdefault(ev.answers_id, ev)
        self.failed_events = {f.event_id for f in failures}
        self.user_corrections = {f.event_id for f in failures if f.kind == "correction"}
        self.checks: dict[str, set[str]] = {}
        for f in failures:
            tag = check_of(f)
            if tag:
                self.checks.setdefault(f.event_id, set()).add(tag)
        self.programs: dict[str, str | None] = {}

    def failed_call(self, failure: Failure) -> MiningEvent | None:
        """The call whose result is the failure's event."""
        index = self.index.get(failure.event_id)
        result = self.events[index] if index is not None else None
        return self.call_of(result) if result is not None else None

    def call_of(self, result: MiningEvent) -> MiningEvent | None:
        """The call a result answers."""
        return self.calls.get(result.answers_id or "")

    def succeeded(self, call: MiningEvent) -> bool:
        result = self.result_of.get(call.id)
        if result is None:
            return False
        return not result.is_error and result.id not in self.failed_events

    def passed_check(self, call: MiningEvent, tag: str | None) -> bool:
        """Whether ``call`` failed only with checks other than ``tag`` (so ``tag`` passed)."""
        result = self.result_of.get(call.id)
        if tag is None or result is None:
            return False
        found = self.checks.get(result.id)
        return tag not in found if found else False


def check_of(failure: Failure) -> str | None:
    """The check tag of one part of multi-check output ("[CREDO]"), else None."""
    first = failure.text.split("\n", 1)[0]
    found = _CHECK.search(first)
    return found.group(1) if found else None


def _program(call: MiningEvent, cache: dict[str, str | None]) -> str | None:
    if call.id in cache:
        return cache[call.id]
    command = command_of(call.tool_input)
    program = program_of(command) if command is not None else None
    cache[call.id] = program
    return program


def _recover_one(
    failure: Failure, events: Sequence[MiningEvent], start: int, calls: _Calls, window: int
) -> tuple[str, int, str, int, int] | None:
    """``(kind, fix event index, summary, steps, tokens)`` or ``None``."""
    failed_call = None
    origin = events[start]
    if origin.answers_id and origin.answers_id in calls.index:
        failed_call = events[calls.index[origin.answers_id]]
    failed_input = _decode(failed_call.tool_input) if failed_call else None
    shell = failure.program is not None
    if failure.kind == "correction":
        return "user", start, _first_line(origin.text), 0, 0
    steps = tokens = 0
    between: list[MiningEvent] = []  # successful calls before the fix
    first_call_checked = False
    tag = check_of(failure)
    for j in range(start + 1, min(len(events), start + 1 + window)):
        ev = events[j]
        tokens += ev.tokens
        if ev.kind == "message" and ev.role == "user" and ev.trust in ("user", "operator"):
            if _WRAPPER.match(ev.text or ""):
                continue  # scaffold text in a user turn (command output, caveats)
            if failure.kind in ("rejection", "interruption"):
                if correction_kind(ev.text or "") == "interruption":
                    continue  # the scaffold's echo of the same stop
                return "user", j, _first_line(ev.text), steps, tokens
            if ev.id in calls.user_corrections:
                return "user", j, _first_line(ev.text), steps, tokens
            first_call_checked = True  # an answer or go-ahead: no "instead" after it
            continue
        if ev.kind != "tool_call":
            continue
        steps += 1
        if is_noop_tool(ev.tool):
            continue  # thinking, planning, notes: neither a fix nor a step toward one
        ok = calls.succeeded(ev)
        same = _same_action(ev, failure, calls)
        fixed = ok or calls.passed_check(ev, tag)
        if same and fixed and failure.kind not in USER_KINDS | {"rejection"}:
            ran_first = _ran_first(between, failure, shell)
            fixed_input = _decode(ev.tool_input)
            summary = diff_inputs(failed_input, fixed_input, shell, ran_first, failure.program)
            if shell:
                sources = argument_sources(failed_input, fixed_input, failure, events[:j], calls)
            else:
                sources = value_sources(failed_input, fixed_input, events[:j], calls)
            summary = "; ".join([summary, *sources]) if sources else summary
            return "retry", j, summary, steps, tokens
        if (
            not first_call_checked and not same and ok and failure.kind not in USER_KINDS
            and (failure.program is not None or ev.tool != failure.tool)  # not another op
            and not _prepares(ev, calls)
            and not _retried_later(events, j, window - (j - start), failure, calls)
        ):
            return "other_tool", j, _instead(ev, failure, calls), steps, tokens
        first_call_checked = True
        if ok:
            between.append(ev)
    return None


_ATOM_MIN = 3


def _atoms(value: Any) -> set[str]:
    """The strings and numbers inside a value (at least three characters as text)."""
    if isinstance(value, dict):
        return set().union(*(_atoms(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_atoms(v) for v in value)) if value else set()
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return {text} if len(text) >= _ATOM_MIN else set()


def value_sources(
    failed: Any, fixed: Any, before: Sequence[MiningEvent], calls: _Calls
) -> list[str]:
    """Where a changed argument's new value came from: "took `file_path` from `Glob`".

    A field's new values (the strings and numbers the failed call did not have)
    all appear in the output of one earlier successful call: that tool's
    result is what the argument was set from. A field changed to values
    found nowhere says nothing here (the change has no common description).
    """
    if not isinstance(failed, dict) or not isinstance(fixed, dict):
        return []
    results = [
        ev for ev in reversed(before)
        if ev.kind == "tool_result" and ev.text and ev.answers_id
        and not ev.is_error and ev.id not in calls.failed_events
    ]
    parts = []
    for key in sorted(set(fixed)):
        if key in failed and failed[key] == fixed[key]:
            continue
        new = _atoms(fixed[key]) - _atoms(failed.get(key))
        if not new:
            continue
        for result in results:
            if all(atom in (result.text or "") for atom in new):
                call = calls.call_of(result)
                if call is not None and call.tool and not is_noop_tool(call.tool):
                    parts.append(f"took `{key}` from `{call.tool}`")
                break
    return parts


def argument_sources(
    failed: Any, fixed: Any, failure: Failure, before: Sequence[MiningEvent], calls: _Calls
) -> list[str]:
    """Where a shell retry's new arguments came from: "took `find_file argument` from `ls -F`".

    The new positional arguments of the failed program (or the first segment
    of a new path) all appear in the output of one earlier successful shell
    call: the agent looked them up there.
    """
    old = [c for c in parse(command_of(failed) or "") if c.program == failure.program]
    new = [c for c in parse(command_of(fixed) or "") if c.program == failure.program]
    if not old or not new:
        return []
    before_args = {a for c in old for a in c.args}
    added = [a for a in new[-1].args if not a.startswith("-") and a not in before_args]
    keys = {a.strip("/").split("/", 1)[0] for a in added} - {"", ".", ".."}
    keys = {k for k in keys if len(k) >= _ATOM_MIN}
    if not keys:
        return []
    for result in reversed(before):
        if result.kind != "tool_result" or not result.text or result.is_error:
            continue
        if result.id in calls.failed_events or not all(k in result.text for k in keys):
            continue
        call = calls.call_of(result)
        command = command_of(call.tool_input) if call is not None else None
        found = commands_run(command) if command else []
        if found and found[-1].program != failure.program:
            return [f"took `{failure.program} argument` from `{invocation(found[-1])}`"]
        return []
    return []


def _instead(ev: MiningEvent, failure: Failure, calls: _Calls) -> str:
    """The summary of a call used in the failed one's place: another program run through
    the same shell tool ("ran `gradle test` instead of `mvn test`"), else another tool."""
    command = command_of(ev.tool_input) if failure.program and ev.tool == failure.tool else None
    commands = commands_run(command) if command else []
    if commands and failure.program:
        return f"ran `{invocation(commands[-1])}` instead of `{failure.program}`"
    label = _program(ev, calls.programs) or ev.tool or "another tool"
    return f"used `{label}` instead"


INSPECTORS = frozenset(
    {"ls", "cat", "head", "tail", "less", "more", "find", "grep", "rg", "which", "whereis",
     "type", "pwd", "env", "printenv", "file", "stat", "wc", "tree", "du", "df", "ps",
     "apt-get update", "apt update", "apt-cache search", "apt-cache policy", "dpkg -l",
     "git status", "git log", "git diff", "git show", "git branch", "uname", "id", "whoami"}
)
"""Programs that look or prepare and change nothing: never in place of the failed action."""


def _prepares(ev: MiningEvent, calls: _Calls) -> bool:
    """An install or an inspection: a step toward a fix, never the fix done another way."""
    program = _program(ev, calls.programs)
    return program in INSTALLS or program in INSPECTORS  # installing fixes nothing by itself


def _targets(ev: MiningEvent | None) -> set[str]:
    """The positional arguments of a call's last program (what an installer installs)."""
    command = command_of(ev.tool_input) if ev is not None else None
    commands = commands_run(command) if command else []
    return {a for a in commands[-1].args if not a.startswith("-")} if commands else set()


def _operation(call: MiningEvent | None) -> str | None:
    """The operation a structured call selects (an editor's ``command``: ``str_replace``,
    ``insert``), when its input names one; another operation is another action."""
    value = _decode(call.tool_input) if call is not None else None
    if isinstance(value, dict):
        op = value.get("command") or value.get("action") or value.get("operation")
        if isinstance(op, str) and _SETTING.match(op):
            return op
    return None


def _same_action(ev: MiningEvent, failure: Failure, calls: _Calls) -> bool:
    """Whether a call repeats the failed action: same tool and, for shell, same program
    (for an installer, with a package in common: installing another package is another
    action)."""
    if ev.tool != failure.tool:
        return False
    if failure.program is None:  # a structured tool: the same operation, if it names one
        origin = calls.failed_call(failure)
        return _operation(origin) == _operation(ev)
    head = failure.program.split()[0]
    if head not in (ev.tool_input or ""):
        return False
    if _program(ev, calls.programs) != failure.program:
        return False
    if failure.program in INSTALLS:
        origin = calls.failed_call(failure)
        return origin is None or bool(_targets(origin) & _targets(ev))
    return True


def _ran_first(between: Sequence[MiningEvent], failure: Failure, shell: bool) -> list[str]:
    """Programs (shell, as invoked: ``mix credo --strict``) or tools run successfully
    before the fix.

    The last one the failure text names (whole, else by its own word), else the
    last two distinct.
    """
    labels: dict[str, str] = {}  # program or tool -> how it was invoked, last seen
    for ev in between:
        command = command_of(ev.tool_input) if shell else None
        found = commands_run(command) if command else []
        if shell and not found:
            continue
        pairs = [(c.program, invocation(c)) for c in found] or [(ev.tool or "", ev.tool or "")]
        for label, invoked in pairs:
            if label and label != failure.program:
                labels.pop(label, None)
                labels[label] = invoked
    levels = {label: name_level(label, failure.text) for label in labels}
    best = max(levels.values(), default=0)
    named = [label for label in labels if best and levels[label] == best]
    return [labels[label] for label in (named[-1:] if named else list(labels)[-2:])]


def _retried_later(
    events: Sequence[MiningEvent], j: int, window: int, failure: Failure, calls: _Calls
) -> bool:
    for k in range(j + 1, min(len(events), j + 1 + max(window, 0))):
        ev = events[k]
        if ev.kind == "message" and ev.id in calls.user_corrections:
            return False
        if ev.kind == "tool_call" and _same_action(ev, failure, calls):
            return True
    return False


def recover_session(
    tenant: str,
    events: Sequence[MiningEvent],
    failures: Sequence[Failure],
    window: int = WINDOW,
) -> list[Correction]:
    """A correction for each failure of this session that something fixed."""
    if not failures:
        return []
    calls = _Calls(events, failures)
    out: list[Correction] = []
    cache: dict[str, tuple[str, int, str, int, int] | None] = {}
    for failure in failures:
        if failure.kind == "failed_outcome":
            continue
        start = calls.index.get(failure.event_id)
        if start is None:
            continue
        key = f"{failure.event_id}:{failure.kind}"
        if key not in cache:
            cache[key] = _recover_one(failure, events, start, calls, window)
        found = cache[key]
        if found is None:
            continue
        kind, j, summary, steps, tokens = found
        out.append(
            Correction(
                id=make_id("correction", failure.id, events[j].id),
                tenant=tenant, failure_id=failure.id, event_id=events[j].id,
                kind=kind, summary=summary or "(empty)", steps=steps, tokens=tokens,  # type: ignore[arg-type]
            )
        )
    return out
