"""Recovery: what happened after a failure that worked.

For each failure in a session, :func:`recover_session` looks forward (at most
``window`` events) for

- ``retry``: the next successful call of the same tool (and, for shell tools,
  the same program); for one check of a multi-check failure (``[CREDO]`` in
  a pre-commit hook's output), also the next call of the same action that
  fails only with *other* checks: that check passed. The correction's
  summary says how its input differed from the failed call's: the commands
  run first ("ran `mix format` first"), flags added or removed ("added
  `--set-upstream`"), changed fields of a structured input ("changed
  `old_string`"), or "retried unchanged". Of the commands run in between,
  those the failure text names ("Run 'mix format' to fix", "[CREDO]" for
  ``mix credo``) win; else the last two;
- ``user``: the user's words, when the user corrected, interrupted or
  rejected the action (the correction turn itself, or the user turn that
  follows a rejection or an interruption). A user turn that is no correction
  (an answer to the agent's question, a confirmation) does not end the
  search: the agent's next successful retry is still the fix;
- ``other_tool``: the first call after the failure used another tool or
  program, succeeded, and the failed action was not retried later ("used
  `Glob` instead").

No-op and bookkeeping tools (``think``, ``TodoWrite``, ``Task``, ``AskUserQuestion``
..., see :data:`reverie.mine.fixes.NOOP_TOOLS`) are never a fix: they are
skipped, neither "used instead" nor "ran first".

Summaries hold programs, flags and field names only (values masked), so the
same fix reads the same in every session and recovery consistency can be
counted. ``steps`` is the number of tool calls until the fix, ``tokens`` the
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
from reverie.mine.program import command_of, program_of, programs_of, simple_commands
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


def _flags(command: str) -> list[str]:
    out = []
    for words in simple_commands(command):
        out.extend(mask(w) for w in words if w.startswith("-") and len(w) > 1)
    return out


def diff_inputs(
    failed: Any, fixed: Any, shell: bool, ran_first: Sequence[str] = ()
) -> str:
    """How a successful retry's input differs from the failed one's, in words.

    >>> diff_inputs({"command": "git push"}, {"command": "git push -u origin x"}, True)
    'added `-u`'
    >>> diff_inputs({"command": "git commit -m a"}, {"command": "git commit -m b"}, True,
    ...             ["mix format"])
    'ran `mix format` first; changed arguments'
    >>> diff_inputs({"file_path": "/a", "old_string": "x"}, {"file_path": "/a", "old_string": "y"},
    ...             False, ["Read"])
    'ran `Read` first; changed `old_string`'
    """
    parts = [f"ran `{p}` first" for p in ran_first[-2:]]
    if shell:
        old, new = command_of(failed) or "", command_of(fixed) or ""
        old_flags, new_flags = _flags(old), _flags(new)
        added = [f for f in dict.fromkeys(new_flags) if f not in old_flags]
        removed = [f for f in dict.fromkeys(old_flags) if f not in new_flags]
        parts += [f"added `{f}`" for f in added[:3]] + [f"removed `{f}`" for f in removed[:3]]
        if not added and not removed and old.split() != new.split():
            parts.append("changed arguments")
    elif isinstance(failed, dict) and isinstance(fixed, dict):
        for key in sorted(set(failed) | set(fixed)):
            if key not in failed:
                parts.append(f"added `{key}`")
            elif key not in fixed:
                parts.append(f"removed `{key}`")
            elif failed[key] != fixed[key]:
                parts.append(f"changed `{key}`")
    elif failed != fixed:
        parts.append("changed input")
    return "; ".join(parts) or "retried unchanged"


def _first_line(text: str | None) -> str:
    """A user's words as a summary: the first line, masked like a template."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return mask(line[: _MAX_SUMMARY * 2])[:_MAX_SUMMARY]


class _Calls:
    """The session's tool calls with their outcome (failed or not) and program."""

    def __init__(self, events: Sequence[MiningEvent], failures: Sequence[Failure]):
        self.index = {ev.id: i for i, ev in enumerate(events)}
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
        return bool(found) and tag not in found


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
            ran_first = _ran_first(between, failure, shell, calls)
            summary = diff_inputs(failed_input, _decode(ev.tool_input), shell, ran_first)
            return "retry", j, summary, steps, tokens
        if not first_call_checked and not same and ok and failure.kind not in USER_KINDS:
            label = _program(ev, calls.programs) or ev.tool or "another tool"
            if not _retried_later(events, j, window - (j - start), failure, calls):
                return "other_tool", j, f"used `{label}` instead", steps, tokens
        first_call_checked = True
        if ok:
            between.append(ev)
    return None


def _same_action(ev: MiningEvent, failure: Failure, calls: _Calls) -> bool:
    """Whether a call repeats the failed action: same tool and, for shell, same program."""
    if ev.tool != failure.tool:
        return False
    if failure.program is None:
        return True
    head = failure.program.split()[0]
    if head not in (ev.tool_input or ""):
        return False
    return _program(ev, calls.programs) == failure.program


def _ran_first(
    between: Sequence[MiningEvent], failure: Failure, shell: bool, calls: _Calls
) -> list[str]:
    """Programs (shell) or tools run successfully before the fix.

    The last one the failure text names (whole, else by its own word), else the
    last two distinct.
    """
    labels: list[str] = []
    for ev in between:
        command = command_of(ev.tool_input) if shell else None
        found = programs_of(command) if command else []
        if shell and not found:
            continue
        for label in found or [ev.tool or ""]:
            if label and label != failure.program:
                if label in labels:
                    labels.remove(label)
                labels.append(label)
    levels = {label: name_level(label, failure.text) for label in labels}
    best = max(levels.values(), default=0)
    named = [label for label in labels if best and levels[label] == best]
    return named[-1:] if named else labels[-2:]


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
