"""Failure detection over one session's events, in order.

:func:`detect_session` turns a session's events into :class:`~reverie.models.Failure`
records, each ``OBSERVED_IN`` one event, with a ``kind`` and the ``detector``
that found it:

=============  ===========================================================  =================
detector       what it looks for                                            kinds
=============  ===========================================================  =================
``is_error``   a tool result the scaffold flagged as an error               tool_error, exit_code,
                                                                            timeout, rejection
``exit_code``  a non-zero exit code (field or a leading "Exit code N")      exit_code, timeout
``output``     unflagged shell output with a traceback, a test-runner or    traceback, test_failure,
               compiler failure, "command not found", permission or         compile_error, ...
               missing-file errors, a time-out
``user``       a user turn right after an agent action that interrupts,     interruption, correction
               rejects or redirects it ("no, ...", "use X instead"): a
               correction needs a tool call in the agent's turn that did
               not fail itself
``outcome``    the session's outcome failed (reward 0, unresolved)          failed_outcome
=============  ===========================================================  =================

Scaffold artefacts are not failures of their own:

- Claude Code's ``<tool_use_error>Sibling tool call errored</tool_use_error>``
  is the echo of another call's failure in the same parallel batch; only that
  other failure counts.
- "[Request interrupted by user for tool use]" right after a rejected tool
  use repeats the rejection; only the rejection counts.
- Events flagged as demonstrations or scaffold prompts (flags ``demo``,
  ``is_demo``, ``system_prompt``, ``scaffold``, ``template``) and system
  messages are skipped, so SWE-agent / mini-swe-agent demonstration text
  never becomes a failure. Only user turns of trust ``user`` or ``operator``
  can be corrections, and never the session's first user turn (the task).
- A user turn corrects an action only when the agent's turn made a tool
  call and its last call did not fail. After a failed call the user's words
  answer the agent's report of it (they may be that failure's recovery, see
  :mod:`reverie.mine.recovery`); after a turn without a call there is no
  action to correct. "Actually, I ..." (the user's own change of mind, as
  tau-bench's simulated customers say it) is no correction marker;
  "actually, use X" is.

Output that lists several checks (``[FORMAT] ... [CREDO] ... [DIALYZER] ...``,
as pre-commit hooks print) yields one failure per check, so each check gets
its own signature.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from reverie.ids import make_id
from reverie.mine.normalize import split_sections, unescape
from reverie.mine.program import command_of, is_shell_tool, program_of
from reverie.models import Failure
from reverie.store.mining_base import MiningEvent

__all__ = ["MAX_TEXT", "correction_kind", "detect_session", "scan_output"]

MAX_TEXT = 4000
SKIP_FLAGS = ("demo", "is_demo", "system_prompt", "scaffold", "template")
_SIBLING = "Sibling tool call errored"
_REJECTION = re.compile(
    r"doesn't want to proceed with this tool use|tool use was rejected|user rejected|"
    r"denied by the user|user denied",
    re.I,
)
_EXIT_LINE = re.compile(r"^\s*(?:Exit code|exit code:|exited with code)\s*(-?\d+)", re.I)
_TIMEOUT = re.compile(r"timed out|\btimeout\b|deadline exceeded|took too long", re.I)
_OUTPUT_CHECKS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.M))
    for kind, pattern in (
        ("traceback", r"^Traceback \(most recent call last\):"),
        ("command_not_found", r"command not found$|: not found$|is not recognized as an internal"),
        ("permission_denied", r"[Pp]ermission denied|EACCES|Operation not permitted"),
        ("file_not_found", r"No such file or directory|ENOENT|FileNotFoundError"),
        (
            "test_failure",
            r"^=+ .*\b\d+ (?:failed|errors?)\b.*=+$|^FAILED \S|Tests:\s+\d+ failed|"
            r"\b[1-9]\d* (?:tests? )?failures?\b|test result: FAILED|^--- FAIL:|^FAIL\s+\S",
        ),
        (
            "compile_error",
            r"error\[E\d+\]|error TS\d+:|^\S+:\d+:\d+: (?:fatal )?error:|^SyntaxError:|"
            r"== Compilation error|\(CompileError\)|^error: could not compile",
        ),
        ("timeout", r"[Tt]imed out after|[Cc]ommand timed out|deadline exceeded"),
        ("tool_error", r"^npm ERR!|^fatal: |^error: |^Error: "),
    )
)
_KEYWORDS = (
    "Traceback", "not found", "ermission", "EACCES", "No such file", "ENOENT", "FileNotFound",
    "ail", "FAIL", "rror", "imed out", "deadline", "ERR!", "fatal:", "not recognized",
    "not permitted",
)
"""Every output check needs one of these substrings: a cheap test before the regexes."""
_ANY_OUTPUT = re.compile("|".join(f"(?:{p.pattern})" for _, p in _OUTPUT_CHECKS), re.M)
_INTERRUPT = re.compile(r"^\[Request interrupted by user")
_CORRECTION = re.compile(
    r"^(?:no\b(?![,.!]?\s*(?:worries|problem|need|thanks|thank|rush|hurry|that'?s (?:all|ok|"
    r"okay|fine)|it'?s (?:ok|okay|fine)))|"
    r"nope|stop|wait|don'?t|do not|never|wrong|undo|revert|instead|not that|"
    r"that'?s (?:wrong|not|incorrect)|that is (?:wrong|not)|please don'?t|"
    r"actually(?![,.]?\s+(?:i|i'?[dm]|i'?ve|i'?ll|we|we'?re|my|our|that'?s (?:all|fine|ok))\b)|"
    r"you (?:should(?:n'?t)?|need to|must)|why did you)\b"
    r"|\buse \S+(?: \S+)? instead\b|\binstead of\b|\brather than\b|\bnot what i\b",
    re.I,
)
_AGENT_ACTION = ("tool_call", "tool_result")
NO_MATCH_PROGRAMS = frozenset(
    {"grep", "egrep", "fgrep", "rg", "ag", "diff", "cmp", "test", "[", "git diff", "git grep"}
)
"""Programs whose exit code 1 means "no match" or "differs", not a failure."""


def _body(text: str) -> str:
    """Output without a leading "Exit code N" line."""
    return _EXIT_LINE.sub("", text, count=1).strip()


def scan_output(text: str) -> str | None:
    """The failure kind that unflagged shell output shows, or ``None``.

    >>> scan_output("Traceback (most recent call last):\\n  File ...\\nValueError: x")
    'traceback'
    >>> scan_output("===== 2 failed, 10 passed in 1.2s =====")
    'test_failure'
    >>> scan_output("5 tests, 0 failures") is None
    True
    """
    if not any(k in text for k in _KEYWORDS) or not _ANY_OUTPUT.search(text):
        return None
    for kind, pattern in _OUTPUT_CHECKS:
        if pattern.search(text):
            return kind
    return None


def correction_kind(text: str) -> str | None:
    """``interruption``, ``correction`` or ``None`` for a user turn's text.

    >>> correction_kind("no, use pnpm instead of npm")
    'correction'
    >>> correction_kind("No worries, thanks!") is None
    True
    >>> correction_kind("[Request interrupted by user]")
    'interruption'
    >>> correction_kind("create the beads") is None
    True
    >>> correction_kind("Actually, I wanted the later flight.") is None
    True
    >>> correction_kind("actually, use the staging database")
    'correction'

    """
    head = text.strip()[:300]
    if _INTERRUPT.match(head):
        return "interruption"
    first = head.splitlines()[0] if head else ""
    if first and _CORRECTION.search(first):
        return "correction"
    return None


def _skipped(ev: MiningEvent) -> bool:
    if ev.role == "system":
        return True
    return bool(ev.flags) and any(flag in ev.flags for flag in SKIP_FLAGS)


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


class _SessionDetector:
    """State while walking one session (calls seen, the last agent action)."""

    def __init__(self, tenant: str, agent: str):
        self.tenant = tenant
        self.agent = agent
        self.calls: dict[str, MiningEvent] = {}
        self.last_call: MiningEvent | None = None
        self.last_kind: str | None = None  # kind of the previous considered event
        self.last_rejected = False
        self.seen_user = False
        self.acted = False  # a tool call since the last user turn
        self.last_failed = False  # the agent's last call failed
        self.out: list[Failure] = []

    def failure(
        self, ev: MiningEvent, kind: str, detector: str, tool: str | None,
        program: str | None, text: str, part: int = 0,
    ) -> None:
        self.out.append(
            Failure(
                id=make_id("failure", ev.id, detector, part),
                tenant=self.tenant, event_id=ev.id, session_id=ev.session_id,
                agent=self.agent, kind=kind, detector=detector, tool=tool, program=program,
                text=text[:MAX_TEXT], trust=ev.trust, timestamp=_time(ev.ts),  # type: ignore[arg-type]
            )
        )

    def on_result(self, ev: MiningEvent) -> None:
        call = self.calls.get(ev.answers_id) if ev.answers_id else None
        tool = ev.tool or (call.tool if call else None)
        text = unescape(ev.text or "")
        self.last_rejected = False
        if _SIBLING in text[:200]:
            return
        command = None
        if call is not None and call.tool_input and (
            is_shell_tool(tool) or '"c' in call.tool_input or call.tool_input[:1] != "{"
        ):
            command = command_of(call.tool_input)
        shell = is_shell_tool(tool) or command is not None
        exit_code = ev.exit_code
        if exit_code is None:
            found = _EXIT_LINE.match(text)
            exit_code = int(found.group(1)) if found else None
        flagged = ev.is_error or exit_code not in (None, 0)
        scanned = None if flagged or not (shell or tool is None) else scan_output(text)
        head = text[:500]
        rejected = ("user" in head or "reject" in head) and _REJECTION.search(head) is not None
        if not (flagged or scanned or rejected):
            return
        program = program_of(command, text) if shell and command else None
        if rejected:
            self.last_rejected = True
            self.failure(ev, "rejection", "is_error" if ev.is_error else "output", tool,
                         program, text)
            return
        if exit_code == 1 and not ev.is_error and program in NO_MATCH_PROGRAMS:
            return  # "no match" / "differs", not an error
        if exit_code == 1 and program in NO_MATCH_PROGRAMS and not _body(text):
            return
        if ev.is_error or exit_code not in (None, 0):
            detector = "is_error" if ev.is_error else "exit_code"
            if exit_code == 124 or _TIMEOUT.search(text[:500]):
                kind = "timeout"
            elif exit_code not in (None, 0):
                kind = "exit_code"
            else:
                kind = "tool_error"
            self.emit_parts(ev, kind, detector, tool, program, text)
            return
        if scanned is not None:
            self.emit_parts(ev, scanned, "output", tool, program, text)

    def emit_parts(
        self, ev: MiningEvent, kind: str, detector: str, tool: str | None,
        program: str | None, text: str,
    ) -> None:
        parts = split_sections(text)
        if not parts:
            self.failure(ev, kind, detector, tool, program, text)
            return
        for i, (head, body) in enumerate(parts):
            self.failure(ev, kind, detector, tool, program, f"{head}\n{body}", part=i)

    def on_user(self, ev: MiningEvent) -> None:
        first = not self.seen_user
        self.seen_user = True
        if first or ev.trust not in ("user", "operator") or self.last_kind is None:
            return
        if self.last_kind not in _AGENT_ACTION and self.last_kind != "assistant":
            return
        text = ev.text or ""
        if text.lstrip().startswith("<"):
            return  # scaffold text in a user turn (<command-name>, <system-reminder> ...)
        kind = correction_kind(text)
        if kind is None or (kind == "interruption" and self.last_rejected):
            return
        if kind == "correction" and (not self.acted or self.last_failed):
            return  # no action to correct, or an answer about a failed one
        call = self.last_call
        tool = call.tool if call else None
        command = command_of(call.tool_input) if call is not None else None
        program = program_of(command) if command and is_shell_tool(tool) else None
        self.failure(ev, kind, "user", tool, program, text)


def detect_session(
    tenant: str, agent: str, events: Sequence[MiningEvent], failed: bool | None = None
) -> list[Failure]:
    """All failures in one session's events (ordered by ``seq``); see the module docstring."""
    state = _SessionDetector(tenant, agent)
    for ev in events:
        if _skipped(ev):
            continue
        if ev.kind == "tool_call":
            state.calls[ev.id] = ev
            state.last_call = ev
            state.last_kind = "tool_call"
            state.acted = True
        elif ev.kind == "tool_result":
            before = len(state.out)
            state.on_result(ev)
            state.last_kind = "tool_result"
            state.last_failed = len(state.out) > before
        elif ev.role == "user":
            state.on_user(ev)
            state.last_kind = "user"
            state.last_rejected = False
            state.acted = state.last_failed = False
        elif ev.role == "assistant":
            state.last_kind = "assistant"
    if failed and events:
        last = events[-1]
        state.failure(last, "failed_outcome", "outcome", None, None, "session outcome: failed")
    return state.out
