"""Failure text to a template: the decisive error line kept, the variable parts masked.

:func:`mask` replaces URLs, times, hashes and ids (UUIDs, and record codes
such as flight ``HAT229`` or booking ``K1NW8N``: capitals and digits mixed,
five or more characters), paths, quoted values and numbers with placeholders,
so two failures that differ only in those compare equal. Quoted values right
after a verb that tells what to run ("Run 'mix format' to fix", "use
`--force`") are kept: they are the fix, not a variable.

:func:`decisive_lines` picks the line that says what went wrong: the
exception line at the end of a traceback, else the first line that reads as
an error, else the first line; a fix hint on the next line ("Run ...",
"hint: ...", "Did you mean ...") is kept with it. An exception line ("ValueError: ...")
wins over other error words.

:func:`error_class` names the kind of error in a few words; together with the
tool and the program it keys a signature.

>>> mask("ERROR at /home/u/app/x.py:12 took 3.5s (id 9f86d081884c7d65)")
'ERROR at <PATH> took <NUM>s (id <HEX>)'
>>> mask("Error: not enough seats on flight HAT229 (booking K1NW8N)")
'Error: not enough seats on flight <ID> (booking <ID>)'
>>> mask("E999 SyntaxError; error[E0425]; SHA256 mismatch; TS2345")
'E999 SyntaxError; error[E0425]; SHA256 mismatch; TS2345'
>>> mask("Run 'mix format' to fix; file 'lib/a.ex' changed")
"Run 'mix format' to fix; file <STR> changed"
>>> decisive_lines("Traceback (most recent call last):\\n  File \\"a.py\\", line 1\\nKeyError: 'x'")
"KeyError: 'x'"
>>> error_class("bash: foo: command not found")
'command_not_found'
"""

from __future__ import annotations

import re

__all__ = ["decisive_lines", "error_class", "mask", "split_sections", "unescape"]

_URL = re.compile(r"\b(?:https?|ftp|file|wss?)://[^\s'\"<>)\]]+")
_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
    r"|\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b"
)
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b")
_HEX = re.compile(
    r"\b(?:0x[0-9a-fA-F]+|(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{7,})\b"
)
_PATH = re.compile(
    r"(?<![\w<])(?:[A-Za-z]:\\|~/|\.{1,2}/|/)?(?:[\w.@+-]+/)+[\w.@+-]*(?::\d+)*(?::\d+)?"
    r"|(?<![\w<])[\w-]+\.(?:py|js|ts|tsx|jsx|ex|exs|rs|go|rb|java|c|h|cpp|json|ya?ml|toml|md|txt|"
    r"lock|sh|beam|css|html)(?::\d+)*\b"
)
_HINT_VERB = r"(?:run|use|try|execute|running|using|with)"
_QUOTED = re.compile(
    r"(?P<verb>\b" + _HINT_VERB + r"\s+)?(?P<q>'[^'\n]{1,200}'|\"[^\"\n]{1,200}\"|`[^`\n]{1,200}`)",
    re.I,
)
_CODE_ID = re.compile(
    r"(?<![\w<-])(?=[A-Z0-9]*\d)(?=(?:[A-Z0-9]*[A-Z]){3})[A-Z][A-Z0-9]{4,11}(?![\w-])"
)
"""A record code: capitals and digits, at least three capitals and one digit (HAT229, XEWRD9)."""
_TECH = re.compile(r"^(?:SHA|MD|UTF|HTTP|IPV|BASE|U?INT|FLOAT|X|CRC|ISO|RFC|PEP)\d+$")
_NUM = re.compile(r"(?<![A-Za-z0-9_<])[-+]?\d+(?:[.,]\d+)*")
_WS = re.compile(r"\s+")
_BOX = re.compile(r"^[\s┃│|─━>~^*=#.-]*$")

_ERRORISH = re.compile(
    r"(?i)(?:\berror\b|\berrors?:|exception|\bfatal\b|\bfailed\b|\bfailure\b|not found|"
    r"no such file|does not exist|permission denied|\bdenied\b|\bcannot\b|can't|could not|"
    r"couldn't|unable to|\binvalid\b|refused|timed out|\btimeout\b|\bpanic|\baborted\b|"
    r"segmentation fault|not recognized|unrecognized|\bunknown (?:option|command)|rejected)"
)
_EXC_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning))\b")
_EXC_ANY = re.compile(r"(?:^|\s)[A-Z]\w*(?:Error|Exception):\s")
_HINT_LINE = re.compile(r"(?i)^\s*(?:run|use|try|hint:|did you mean|to fix|please run|perhaps)\b")
_NOISE_LINE = re.compile(r"(?i)^\s*(?:exit code -?\d+|\[output truncated.*\])\s*$")
_SECTION = re.compile(r"^\[([A-Z][A-Z0-9_ -]{2,30})\](.*)$", re.M)

_CLASSES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I | re.M))
    for name, pattern in (
        ("rejection", r"doesn't want to proceed with this tool use|tool use was rejected"),
        ("interruption", r"\[Request interrupted by user"),
        ("timeout", r"timed out|\btimeout\b|deadline exceeded|took too long"),
        ("command_not_found", r"command not found|is not recognized as an internal"),
        ("permission_denied", r"permission denied|\bEACCES\b|operation not permitted"),
        ("hook_failed", r"pre-commit|\bhook\b.*(?:failed|rejected)|validation failed"),
        ("test_failure", r"\b\d+ (?:failed|failing)\b|^FAILED\b|tests? failed|AssertionError"),
        (
            "compile_error",
            r"error\[E\d+\]|error TS\d+|SyntaxError|compilation (?:error|failed)|"
            r"cannot find symbol|undefined reference|CompileError",
        ),
        (
            "file_not_found",
            r"no such file or directory|file does not exist|\bENOENT\b|FileNotFoundError|"
            r"does not exist|not found in file",
        ),
        ("fatal", r"^fatal:"),
    )
)


def unescape(text: str) -> str:
    """Turn literal ``\\n`` sequences (double-encoded output) into line breaks."""
    return text.replace("\\r\\n", "\n").replace("\\n", "\n") if "\\n" in text else text


def mask(text: str) -> str:
    """Mask the variable parts of one line of failure text (see the module docstring)."""
    text = _URL.sub("<URL>", text)
    text = _TIME.sub("<TIME>", text)
    text = _UUID.sub("<ID>", text)
    text = _QUOTED.sub(_quoted, text)
    text = _PATH.sub(_path, text)
    text = _HEX.sub("<HEX>", text)
    text = _CODE_ID.sub(_code_id, text)
    text = _NUM.sub("<NUM>", text)
    return _WS.sub(" ", text).strip()


def _quoted(match: re.Match[str]) -> str:
    if match.group("verb"):
        return match.group(0)
    return "<STR>"


def _code_id(match: re.Match[str]) -> str:
    value = match.group(0)
    return value if _TECH.match(value) else "<ID>"


def _path(match: re.Match[str]) -> str:
    value = match.group(0)
    if "/" not in value and "\\" not in value and "." not in value:
        return value
    if value.count("/") == 1 and value.endswith("/") is False and len(value) < 8:
        return value  # short fractions like "a/b" are usually words ("and/or")
    return "<PATH>"


def error_class(text: str, exit_code: int | None = None) -> str:
    """A short name for the kind of error in ``text``; ``tool_error`` when none fits."""
    text = text[:3000]
    exc = _exception_name(text)
    for name, pattern in _CLASSES:
        if pattern.search(text):
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
        found = _EXC_LINE.match(line)
        if found:
            return found.group(1).rsplit(".", 1)[-1]
    return None


def decisive_lines(text: str, max_chars: int = 300) -> str:
    """The line that says what went wrong, with a fix hint that follows it."""
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not _BOX.match(ln) and not _NOISE_LINE.match(ln)]
    if not lines:
        return ""
    pick = _traceback_line(lines)
    if pick is None:
        pick = next((i for i, ln in enumerate(lines) if _EXC_ANY.search(ln)), None)
    if pick is None:
        pick = next((i for i, ln in enumerate(lines) if _ERRORISH.search(ln)), 0)
    chosen = lines[pick]
    if pick + 1 < len(lines) and _HINT_LINE.match(lines[pick + 1]):
        chosen += " " + lines[pick + 1]
    return chosen[:max_chars]


def _traceback_line(lines: list[str]) -> int | None:
    if not any(ln.startswith("Traceback (most recent call last)") for ln in lines):
        return None
    for i in range(len(lines) - 1, -1, -1):
        if _EXC_LINE.match(lines[i]):
            return i
    return None


def split_sections(text: str) -> list[tuple[str, str]]:
    """Split multi-check output (``[FORMAT] ...``, ``[CREDO] ...``) into its parts.

    Returns ``(header + tag, section body)`` pairs, or ``[]`` when the text
    has fewer than one ``[TAG]`` line after a header line. The header is the
    text before the first tag (e.g. "Pre-commit validation failed:").

    >>> split_sections("Checks failed:\\n[LINT] bad\\n[TYPES] worse")
    [('Checks failed: [LINT]', 'bad'), ('Checks failed: [TYPES]', 'worse')]
    """
    found = list(_SECTION.finditer(text))
    if not found:
        return []
    header = _WS.sub(" ", text[: found[0].start()]).strip()
    if not header or len(header) > 200:
        return []
    parts = []
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        body = (match.group(2) + text[match.end() : end]).strip()
        parts.append((f"{header} [{match.group(1)}]", body))
    return parts
