"""Error classes: the kind of error a failure's text shows, in a few words.

:func:`error_class` tries the classes in order (a rejection, an interruption, a
time-out, a missing command, ...) and takes the first whose pattern the text
matches; a Python traceback names its exception instead of the generic
test, compile and missing-file classes. With the tool and the program, the
class keys a signature (:mod:`reverie.mine.signature`).

>>> error_class("bash: foo: command not found")
'command_not_found'
>>> error_class("Traceback (most recent call last):\\n  ...\\nFileNotFoundError: [Errno 2] x")
'FileNotFoundError'
>>> error_class("make: *** [all] Error 2", 2)
'nonzero_exit'
"""

from __future__ import annotations

import re

from reverie.mine.needles import Needled, folded

__all__ = ["EXCEPTION_LINE", "error_class"]

EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning))\b")
"""A line that starts with an exception's name: ``ValueError: x``, ``pkg.MyError``."""

_CLASSES: tuple[tuple[str, Needled], ...] = tuple(
    (name, Needled(pattern, needles, re.M))
    for name, pattern, needles in (
        (
            "rejection",
            r"doesn't want to proceed with this tool use|tool use was rejected",
            ("doesn't want to proceed with this tool use", "tool use was rejected"),
        ),
        ("interruption", r"\[Request interrupted by user", ("[request interrupted by user",)),
        (
            "timeout",
            r"timed out|\btimeout\b|deadline exceeded|took too long",
            ("timed out", "timeout", "deadline exceeded", "took too long"),
        ),
        (
            "command_not_found",
            r"command not found|is not recognized as an internal",
            ("command not found", "is not recognized as an internal"),
        ),
        (
            "permission_denied",
            r"permission denied|\bEACCES\b|operation not permitted",
            ("permission denied", "eacces", "operation not permitted"),
        ),
        (
            "hook_failed",
            r"pre-commit|\bhook\b.*(?:failed|rejected)|validation failed",
            ("pre-commit", "hook", "validation failed"),
        ),
        (
            "test_failure",
            r"\b\d+ (?:failed|failing)\b|^FAILED\b|tests? failed|AssertionError",
            ("failed", "failing", "failed", "failed", "assertionerror"),
        ),
        (
            "compile_error",
            r"error\[E\d+\]|error TS\d+|SyntaxError|compilation (?:error|failed)|"
            r"cannot find symbol|undefined reference|CompileError",
            ("error[e", "error ts", "syntaxerror", "compilation ", "cannot find symbol",
             "undefined reference", "compileerror"),
        ),
        (
            "file_not_found",
            r"no such file or directory|file does not exist|\bENOENT\b|FileNotFoundError|"
            r"does not exist|not found in file|^(?:File|Directory) \S+ not found\s*$",
            ("no such file or directory", "file does not exist", "enoent", "filenotfounderror",
             "does not exist", "not found in file", " not found"),
        ),
        ("fatal", r"^fatal:", ("fatal:",)),
    )
)
"""Error classes in the order they are tried, each with one needle per alternative."""


def error_class(text: str, exit_code: int | None = None) -> str:
    """A short name for the kind of error in ``text``; ``tool_error`` when none fits."""
    text = text[:3000]
    exc = _exception_name(text)
    lowered = folded(text)
    for name, pattern in _CLASSES:
        if pattern.search(text, lowered):
            if exc and name in ("test_failure", "compile_error", "file_not_found"):
                return exc
            return name
    if exc:
        return exc
    if exit_code not in (None, 0):
        return "nonzero_exit"
    return "tool_error"


def _exception_name(text: str) -> str | None:
    if "Traceback (most recent call last)" not in text:
        return None
    for line in reversed(text.splitlines()):
        found = EXCEPTION_LINE.match(line)
        if found:
            return found.group(1).rsplit(".", 1)[-1]
    return None
