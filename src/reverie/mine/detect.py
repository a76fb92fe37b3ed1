"""Failure detection over one session's events, in order.

:func:`detect_session` turns a session's events into :class:`~reverie.models.Failure`
records, each ``OBSERVED_IN`` one event, with a ``kind`` and the ``detector``
that found it:

=============  ======================================================  ======================
detector       what it looks for                                       kinds
=============  ======================================================  ======================
``is_error``   a tool result the scaffold flagged as an error          tool_error, exit_code,
                                                                       timeout, rejection,
                                                                       empty_result, ...
``exit_code``  a non-zero exit code (field or a leading "Exit code     exit_code, timeout, ...
               N")
``output``     unflagged output with a scaffold's or a shell's         format_error, timeout,
               notice (below); unflagged shell output with a           syntax_error, traceback,
               traceback, a test-runner or compiler failure, "command  test_failure,
               not found", permission or missing-file errors, a        compile_error, ...
               package manager's error (apt's ``E: ...``), a time-out
``user``       a user turn right after an agent action that            interruption,
               interrupts, rejects or redirects it ("no, ...", "use X  correction
               instead"): a correction needs a tool call in the
               agent's turn that did not fail itself
``outcome``    the session's outcome failed (reward 0, unresolved)     failed_outcome
=============  ======================================================  ======================

A result that did not do what was asked is a failure even when nothing
flags it, so that a retry ending so is never counted as a fix. The kind
says what the result shows, whichever detector found it:

==================  ==========================================================================
kind                what the result shows (scaffolds where the shared data has it)
==================  ==========================================================================
``timeout``         the call ran out of time: SWE-agent's ``EXECUTION TIMED OUT``,
                    mini-swe-agent's "timed out and has been killed", SWE-agent 1.x's "was
                    cancelled because it took more than N seconds", "Command timed out",
                    exit codes 124 and 137 (:data:`TIMEOUT_EXIT_CODES`)
``syntax_error``    the shell could not parse the command (``syntax error: unexpected end of
                    file``, ``syntax error near unexpected token``, ``unexpected EOF while
                    looking for matching``, zsh's ``parse error``), or the scaffold's linter
                    refused an edit ("Your proposed edit has introduced new syntax error(s)",
                    SWE-agent and OpenHands)
``format_error``    the scaffold could not run the action as written: mini-swe-agent's
                    "Please always provide EXACTLY ONE action", SWE-agent's "Your output could
                    not be parsed", OpenHands' "Parameter `old_str` is required" and "Invalid
                    `view_range` parameter", an event flagged ``format_error`` by its adapter;
                    no program ran, so its failure names none
``file_not_found``  SWE-agent's ``open`` / ``find_file`` / ``search_dir`` notice "File x not
                    found", "Directory x not found"
``tool_error``      an editor's notice that starts with a bare ``ERROR:`` line (OpenHands'
                    "No replacement was performed ...")
``empty_result``    a result flagged as an error with no text and no exit code
==================  ==========================================================================

Notices at the start of a result count for every tool. A shell's syntax
error or a time-out line counts anywhere in a command's output, except in a
file's text: when every program of the command prints files (``cat``,
``grep``, ``open``, ... :data:`READERS`) or the tool is no shell (a read
tool), only the first and last lines are the program's own words, and only
they are read (also for the output checks), so a test file that mentions
"timed out" is no time-out.

Scaffold artefacts are not failures of their own:

- Claude Code's ``<tool_use_error>Sibling tool call errored</tool_use_error>``
  is the echo of another call's failure in the same parallel batch; only that
  other failure counts.
- "[Request interrupted by user for tool use]" right after a rejected tool
  use repeats the rejection; only the rejection counts.
- Events flagged as demonstrations or scaffold prompts (flags ``demo``,
  ``is_demo``, ``system_prompt``, ``scaffold``, ``template``, by exact name:
  OpenHands' ``scaffold_error`` is a failure) and system messages are
  skipped, so SWE-agent / mini-swe-agent demonstration text never becomes a
  failure. Only user turns of trust ``user`` or ``operator``
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

import orjson

from reverie.ids import make_id
from reverie.mine.normalize import split_sections, unescape
from reverie.mine.program import command_of, is_shell_tool, program_of, programs_of
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
TIMEOUT_EXIT_CODES = frozenset({124, 137})
"""``timeout`` exits 124 when it stops a command, 137 (128 + SIGKILL) when it kills one."""
_TIMEOUT = re.compile(
    r"timed out after|(?:command|connection|operation|read|request) timed out|deadline exceeded",
    re.I,
)
"""A time-out in the words of a flagged result (not the bare word "timeout": test names)."""
_START_NOTICES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.S))
    for kind, pattern in (
        # the scaffold could not run the action as written
        (
            "format_error",
            r"Please always provide EXACTLY ONE action|Your output could not be parsed|"
            r"Your output was not formatted correctly|"
            r"Parameter [`'][\w-]+[`'] is (?:required|expected to be one of)|"
            r"Invalid [`'][\w-]+[`'] parameter",
        ),
        # an edit the scaffold's linter refused (SWE-agent, OpenHands)
        ("syntax_error", r"\[?Your proposed edit has introduced new syntax error"),
        (
            "timeout",
            r"EXECUTION TIMED OUT|The last command <command>.*?</command> timed out|"
            r"The command .{1,2000}? was cancelled because it took more than \d+ seconds|"
            r"\[?Command timed out\b",
        ),
        # SWE-agent's open / find_file / search_dir on a missing path
        ("file_not_found", r"(?:File|Directory) \S+ not found[ \t]*(?:\n|$)"),
    )
)
"""Notices a scaffold writes at the start of a result, whatever the tool."""
_BARE_ERROR = re.compile(r"(?:ERROR|Error):[ \t]*\n\s*(?=\S)")
"""An editor's error notice: ``ERROR:`` alone, the message on the next line (OpenHands)."""
_SHELL_SYNTAX = (
    r"^(?:[\w./-]*/)?(?:(?:ba|z|da|k|a)?sh|\(eval\))(?::[^\n:]{0,40}){0,3}: "
    r"(?:syntax error(?: near unexpected token|: )|Syntax error: |parse error(?: near|:)|"
    r"unexpected EOF while looking for matching|[Uu]nterminated quoted string)"
)
"""A shell's own syntax error: bash, sh (dash), zsh, ``(eval)``; not a program's words."""
_LINE_NOTICES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "timeout",
        re.compile(
            r"^\s*EXECUTION TIMED OUT\s*$|^\s*\[?Command timed out\b|"
            r"timed out and has been killed|was cancelled because it took more than \d+ seconds",
            re.M,
        ),
    ),
    ("syntax_error", re.compile(_SHELL_SYNTAX, re.M)),
)
"""Notices on a line of their own, anywhere in a command's output."""
_LINE_KEYWORDS = ("TIMED OUT", "timed out", "took more than", "yntax error", "parse error",
                  "unexpected EOF", "nterminated quoted")
_ANY_START = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (_BARE_ERROR, *(p for _, p in _START_NOTICES))), re.S
)
"""Matches where one of the start notices or the bare ``ERROR:`` line does: a cheap test
before them (``re.S`` is theirs; the ``ERROR:`` pattern has no ``.``)."""
READERS = frozenset(
    {"cat", "head", "tail", "less", "more", "nl", "bat", "tac", "grep", "egrep", "fgrep", "rg",
     "ag", "ack", "awk", "sed", "jq", "yq", "xxd", "od", "strings", "diff", "open", "goto",
     "scroll_up", "scroll_down", "search_file", "search_dir", "find_file", "view", "git show",
     "git diff", "git log", "git grep", "git blame"}
)
"""Programs that print files: their output is mostly the file's text, not their own words."""
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
        (
            "timeout",
            r"[Tt]imed out after|[Cc]ommand timed out|deadline exceeded|"
            r"(?:Connection|Operation|Read) timed out",
        ),
        (
            "tool_error",
            r"^npm ERR!|^fatal: |^error: |^Error: |^E: (?:Unable|Package|Could not|Failed|"
            r"Sub-process|Version|The repository)|^Some packages could not be installed|"
            r": unrecognized service$",
        ),
    )
)
_KEYWORDS = (
    "Traceback", "not found", "ermission", "EACCES", "No such file", "ENOENT", "FileNotFound",
    "ail", "FAIL", "rror", "imed out", "deadline", "ERR!", "fatal:", "not recognized",
    "not permitted", "E: ", "could not be installed", "unrecognized service",
)
"""Every output check needs one of these substrings: a cheap test before the regexes."""
_ANY_OUTPUT = re.compile("|".join(f"(?:{p.pattern})" for _, p in _OUTPUT_CHECKS), re.M)
_SHORT = 1000
"""Below this length one regex of all keywords finds one sooner than a test per keyword."""
_LINE_WORDS = re.compile("|".join(re.escape(k) for k in _LINE_KEYWORDS))
_WORDS = re.compile("|".join(re.escape(k) for k in _KEYWORDS))
_ALL_KEYWORDS = _LINE_KEYWORDS + _KEYWORDS
_ALL_WORDS = re.compile("|".join(re.escape(k) for k in _ALL_KEYWORDS))
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


def _ends(text: str) -> str:
    """The first and the last non-empty line: what a file's reader wrote around the file."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines[:1] + lines[1:][-1:])


def notice_kind(text: str, dump: bool = False) -> str | None:
    """The kind of failure a scaffold's or a shell's notice in ``text`` reports, or ``None``.

    Notices a scaffold writes at the start of a result count for any tool: a
    format error, an edit its linter refused, a time-out, SWE-agent's "File x
    not found", an editor's bare ``ERROR:`` line with the message after it. A
    shell's syntax error or a time-out notice on a line of its own counts
    anywhere in the output; in a ``dump`` (a file's text printed by ``cat``,
    ``grep``, ``open`` or a read tool) only on its first or last line.

    >>> notice_kind("Please always provide EXACTLY ONE action in triple backticks, found 2.")
    'format_error'
    >>> notice_kind("\\nEXECUTION TIMED OUT")
    'timeout'
    >>> notice_kind("/bin/bash: line 4: syntax error: unexpected end of file")
    'syntax_error'
    >>> notice_kind("ERROR:\\nNo replacement was performed, old_str `x` did not appear verbatim")
    'tool_error'
    >>> notice_kind("ERROR:\\nParameter `old_str` is required for command: str_replace.")
    'format_error'
    >>> notice_kind("File src/App.java not found")
    'file_not_found'
    >>> notice_kind("1: x = 1\\n2: # bash: line 4: syntax error: unexpected end of file\\n3: y",
    ...             dump=True) is None
    True
    """
    return _notice(text, dump, any(k in text for k in _LINE_KEYWORDS))


def _has(text: str, words: tuple[str, ...], pattern: re.Pattern[str]) -> bool:
    """Whether ``text`` has one of ``words`` (``pattern`` matches exactly the words)."""
    if len(text) < _SHORT:
        return pattern.search(text) is not None
    return any(k in text for k in words)


def _start_notice(text: str) -> str | None:
    """The kind of a notice a scaffold wrote at the start of ``text``, or ``None``."""
    head = text.lstrip()[:3000]
    if not _ANY_START.match(head):
        return None
    bare = _BARE_ERROR.match(head)
    if bare:
        head = head[bare.end() :]
    found = next((kind for kind, pattern in _START_NOTICES if pattern.match(head)), None)
    return (found or "tool_error") if (found or bare) else None


def _notice(text: str, dump: bool, line_words: bool) -> str | None:
    """:func:`notice_kind`, told whether ``text`` has one of :data:`_LINE_KEYWORDS`."""
    found = _start_notice(text)
    if found or not line_words:
        return found
    lines = _ends(text) if dump else text
    return next((kind for kind, pattern in _LINE_NOTICES if pattern.search(lines)), None)


def failure_kind(
    text: str, exit_code: int | None, is_error: bool, notice: str | None, scanned: str | None
) -> str | None:
    """The kind of a tool result's failure: a notice's kind first, then the exit code.

    >>> failure_kind("", 124, False, None, None)
    'timeout'
    >>> failure_kind("make: *** [all] Error 2", 2, True, None, None)
    'exit_code'
    >>> failure_kind("", None, True, None, None)
    'empty_result'
    >>> failure_kind("/bin/sh: 1: Syntax error: EOF in backquote substitution", 2, True,
    ...              "syntax_error", None)
    'syntax_error'
    """
    if notice is not None:
        return notice
    if exit_code in TIMEOUT_EXIT_CODES:
        return "timeout"
    if not is_error and exit_code in (None, 0):
        return scanned
    if _TIMEOUT.search(text[:500]):
        return "timeout"
    if exit_code not in (None, 0):
        return "exit_code"
    return "tool_error" if _body(text) else "empty_result"


def _is_dump(shell: bool, command: str | None, words: bool) -> bool:
    """Whether a result is a file's text: any result of a tool that is no shell, or the
    output of a command whose every program prints files (see :data:`READERS`). The
    command is parsed only when the text has something to look at (``words``: one of
    :data:`_LINE_KEYWORDS` or :data:`_KEYWORDS`)."""
    if not shell:
        return True
    if not words:
        return False
    programs = programs_of(command)
    return bool(programs) and all(p in READERS or p.split()[0] in READERS for p in programs)


def _command(call: MiningEvent | None, tool: str | None) -> str | None:
    """The command line of a call, if it has one (shell tools, SWE-agent's commands)."""
    if call is None or not call.tool_input:
        return None
    if is_shell_tool(tool) or '"c' in call.tool_input or call.tool_input[:1] != "{":
        return command_of(call.tool_input)
    return None


def _exit_code(ev: MiningEvent, text: str) -> int | None:
    """The result's exit code: its field, else a leading "Exit code N" line."""
    if ev.exit_code is not None:
        return ev.exit_code
    found = _EXIT_LINE.match(text)
    return int(found.group(1)) if found else None


def scan_output(text: str, dump: bool = False) -> str | None:
    """The failure kind that unflagged shell output shows, or ``None``.

    In a ``dump`` (see :func:`notice_kind`) only the first and the last line count.

    >>> scan_output("Traceback (most recent call last):\\n  File ...\\nValueError: x")
    'traceback'
    >>> scan_output("===== 2 failed, 10 passed in 1.2s =====")
    'test_failure'
    >>> scan_output("5 tests, 0 failures") is None
    True
    >>> dump = "x = 1\\nTraceback (most recent call last):\\n  raise X\\ny = 2"
    >>> scan_output(dump, dump=True) is None, scan_output(dump) is None
    (True, False)
    """
    return _scan(text, dump, any(k in text for k in _KEYWORDS))


def _scan(text: str, dump: bool, words: bool) -> str | None:
    """:func:`scan_output`, told whether ``text`` has one of :data:`_KEYWORDS`."""
    if not words:
        return None  # nor has a dump's first or last line
    if dump:
        text = _ends(text)
        if not any(k in text for k in _KEYWORDS):
            return None
    if not _ANY_OUTPUT.search(text):
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


def _flags(ev: MiningEvent) -> frozenset[str]:
    """The event's flags (stored as a JSON list); exact names, so ``scaffold_error`` is
    not ``scaffold``."""
    if not ev.flags:
        return frozenset()
    try:
        flags = orjson.loads(ev.flags)
    except orjson.JSONDecodeError:
        return frozenset({ev.flags})
    return frozenset(flags) if isinstance(flags, list) else frozenset({str(flags)})


def _skipped(ev: MiningEvent) -> bool:
    if ev.role == "system":
        return True
    return bool(ev.flags) and not _flags(ev).isdisjoint(SKIP_FLAGS)


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
        exit_code = _exit_code(ev, text)
        flagged = ev.is_error or exit_code not in (None, 0)
        words = _has(text, _ALL_KEYWORDS, _ALL_WORDS)  # usually none: one test for both
        line_words = words and _has(text, _LINE_KEYWORDS, _LINE_WORDS)
        out_words = words and _has(text, _KEYWORDS, _WORDS)
        format_flag = "format_error" in _flags(ev)
        head = text[:500]
        rejected = ("user" in head or "reject" in head) and _REJECTION.search(head) is not None
        if not (flagged or rejected or format_flag or words) and _start_notice(text) is None:
            return  # no notice, nothing to scan: the usual result, read no further
        command = _command(call, tool)
        shell = is_shell_tool(tool) or command is not None
        dump = _is_dump(shell or tool is None, command, words)
        notice = "format_error" if format_flag else _notice(text, dump, line_words)
        scan = not (flagged or notice) and (shell or tool is None)
        scanned = _scan(text, dump, out_words) if scan else None
        if not (flagged or scanned or rejected or notice):
            return
        program = program_of(command, text) if shell and command else None
        if rejected:
            self.last_rejected = True
            self.failure(ev, "rejection", "is_error" if ev.is_error else "output", tool,
                         program, text)
            return
        if notice is None and exit_code == 1 and program in NO_MATCH_PROGRAMS and (
            not ev.is_error or not _body(text)
        ):
            return  # "no match" / "differs", not an error
        kind = failure_kind(text, exit_code, ev.is_error, notice, scanned)
        if kind is None:
            return
        detector = "is_error" if ev.is_error else "exit_code" if exit_code else "output"
        if kind == "format_error":
            program = None  # the action never ran: no program failed
        self.emit_parts(ev, kind, detector, tool, program, text)

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
        if (ev.flags or ev.role == "system") and _skipped(ev):
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
