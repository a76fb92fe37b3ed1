"""Failure text to a template: the decisive error line kept, the variable parts masked.

:func:`mask` replaces URLs, times, hashes and ids (UUIDs, and record codes
such as flight ``HAT229`` or booking ``K1NW8N``: capitals and digits mixed,
five or more characters), paths, quoted values and numbers with placeholders,
so two failures that differ only in those compare equal. Quoted values right
after a verb that tells what to run ("Run 'mix format' to fix", "use
`--force`") are kept: they are the fix, not a variable. An apostrophe inside
a word ("can't", "doesn't") is no quote, and a shell's quoting of one
punctuation token (`` `&' ``, `` `'' ``) is kept: it names the syntax error.

:func:`decisive_lines` picks the line that says what went wrong: the
exception line at the end of a traceback, else the first line that reads as
an error, else the first line; a bare ``ERROR:`` line gives way to the line
after it, and a backtick quote that spans lines is kept whole. A fix hint on
the next line ("Run ...", "hint: ...", "Did you mean ...") is kept with it.
An exception line ("ValueError: ...") wins over other error words.

:func:`error_class` (:mod:`reverie.mine.classes`) names the kind of error in a few
words; together with the tool and the program it keys a signature.

:func:`humanize` turns a template back into plain words for people (a rule's
directive, condition and reason): the values that are the same in every
failure, plain words ("a file path", "a module") for those that vary, never
a placeholder; :func:`signature_values` reads the values of one failure.

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
>>> mask("/bin/sh: 1: cd: can't cd to /w/build")
"<PATH>: <NUM>: cd: can't cd to <PATH>"
>>> humanize("<PATH>: <NUM>: cd: can't cd to <PATH>", ["/bin/sh: 1: cd: can't cd to /w/build"])
"cd: can't cd to /w/build"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from reverie.mine.classes import EXCEPTION_LINE, error_class
from reverie.mine.needles import Needled

__all__ = [
    "decisive_lines",
    "error_class",
    "humanize",
    "mask",
    "signature_values",
    "split_sections",
    "unescape",
]

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
    r"(?P<verb>\b" + _HINT_VERB + r"\s+)?(?P<q>"
    r"`[^\n]'"  # a shell's quoting of one token: `&', `''
    r"|(?<!\w)'(?:[^'\n]|(?<=\w)'(?=\w)){1,200}'(?!\w)"  # an apostrophe in a word is no quote
    r"|\"[^\"\n]{1,200}\"|`[^`\n]{1,200}`|`[^`'\n]{1,200}')",
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

_ERRORISH = Needled(
    r"(?:\berror\b|\berrors?:|exception|\bfatal\b|\bfailed\b|\bfailure\b|not found|"
    r"no such file|does not exist|permission denied|\bdenied\b|\bcannot\b|can't|could not|"
    r"couldn't|unable to|\binvalid\b|refused|timed out|\btimeout\b|\bpanic|\baborted\b|"
    r"segmentation fault|not recognized|unrecognized|\bunknown (?:option|command)|rejected|"
    r"is not available|^E: |^\*\* \()",
    ("error", "exception", "fatal", "failed", "failure", "not found", "no such file",
     "does not exist", "permission denied", "denied", "cannot", "can't", "could not",
     "couldn't", "unable to", "invalid", "refused", "timed out", "timeout", "panic", "aborted",
     "segmentation fault", "not recognized", "unrecognized", "unknown ", "rejected",
     "is not available", "e: ", "** ("),
)
"""Words that make a line read as an error (one needle per alternative, in order)."""
_EXC_ANY = re.compile(r"(?:^|\s)[A-Z]\w*(?:Error|Exception):\s")
_HINT_LINE = re.compile(r"(?i)^\s*(?:run|use|try|hint:|did you mean|to fix|please run|perhaps)\b")
_BARE = re.compile(r"(?i)^\[?(?:error|errors|failed|failure|fail|fatal|exception)\]?\s*[:!.-]*$")
"""A line that only says that something failed: the next line says what."""
_NOISE_LINE = re.compile(r"(?i)^\s*(?:exit code -?\d+|\[output truncated.*\])\s*$")
_MAX_JOINED = 40
"""At most this many more lines are joined to close a backtick quote."""
_MAX_QUOTED = 2000
_SECTION = re.compile(r"^\[([A-Z][A-Z0-9_ -]{2,30})\](.*)$", re.M)

def unescape(text: str) -> str:
    """Turn literal ``\\n`` sequences (double-encoded output) into line breaks."""
    return text.replace("\\r\\n", "\n").replace("\\n", "\n") if "\\n" in text else text


def mask(text: str) -> str:
    """Mask the variable parts of one line of failure text (see the module docstring)."""
    # each pattern runs only where it can match: a URL has "://", a date "-", a time ":",
    # a UUID "-", a quote a quote mark, a path "/" (or "." before its extension)
    if "://" in text:
        text = _URL.sub("<URL>", text)
    if "-" in text or ":" in text:
        text = _TIME.sub("<TIME>", text)
    if "-" in text:
        text = _UUID.sub("<ID>", text)
    if "'" in text or '"' in text or "`" in text:
        text = _QUOTED.sub(_quoted, text)
    if "/" in text or "." in text:
        text = _PATH.sub(_path, text)
    text = _HEX.sub("<HEX>", text)
    text = _CODE_ID.sub(_code_id, text)
    text = _NUM.sub("<NUM>", text)
    return _WS.sub(" ", text).strip()


def _quoted(match: re.Match[str]) -> str:
    if match.group("verb"):
        return match.group(0)
    inner = match.group("q")[1:-1]
    if len(inner) == 1 and not inner.isalnum():
        return match.group(0)  # a syntax token (`&', `'') names the error, it is no value
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


_PYTEST_FAILED = re.compile(r"^FAILED \S+::\S+ - \S")
"""pytest's short summary line: it names the test and the error in one line."""


def decisive_lines(text: str, max_chars: int = 300) -> str:
    """The line that says what went wrong, with a fix hint that follows it.

    pytest's summary line (``FAILED tests/a.py::test_x - assert 1 == 2``) wins:
    it names the test as well as the error.

    A bare ``ERROR:`` (``Error:``, ``FAILED``, ``error`` ...) with nothing
    after it is skipped for the line that follows it.

    >>> decisive_lines("ERROR:\\n  JAVA_HOME is not set")
    'JAVA_HOME is not set'
    >>> decisive_lines("ERROR: JAVA_HOME is not set and no 'java' command could be found")
    "ERROR: JAVA_HOME is not set and no 'java' command could be found"

    A backtick quote that spans lines is kept whole:

    >>> decisive_lines("ERROR:\\nNo replacement was performed, old_str `a:\\n  b;` did not appear")
    'No replacement was performed, old_str `a: b;` did not appear'
    """
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not _BOX.match(ln) and not _NOISE_LINE.match(ln)]
    if not lines:
        return ""
    pick = next((i for i, ln in enumerate(lines) if _PYTEST_FAILED.match(ln)), None)
    if pick is None:
        pick = _traceback_line(lines)
    if pick is None:
        pick = next((i for i, ln in enumerate(lines) if _EXC_ANY.search(ln)), None)
    if pick is None:
        pick = next((i for i, ln in enumerate(lines) if _ERRORISH.search(ln)), 0)
    while _BARE.match(lines[pick]) and pick + 1 < len(lines):
        pick += 1  # "ERROR:" alone says nothing: the next line says what went wrong
    chosen, last = _through_quote(lines, pick)
    if last > pick:  # keep the quote whole, so that it masks to one value
        max_chars = min(_MAX_QUOTED, max(max_chars, chosen.rfind("`") + max_chars // 2))
    if last + 1 < len(lines) and _HINT_LINE.match(lines[last + 1]):
        chosen += " " + lines[last + 1]
    return chosen[:max_chars]


def _through_quote(lines: list[str], pick: int) -> tuple[str, int]:
    """The picked line, joined with the next ones while a backtick quote it opened is open
    (OpenHands quotes a multi-line ``old_str`` so); and the last line's index."""
    text, last = lines[pick], pick
    if "`" not in text:
        return text, last  # no quote to close (removing quotes adds no backtick)
    while "`" in _QUOTED.sub("", text) and last + 1 < len(lines) and last - pick < _MAX_JOINED:
        last += 1
        text += " " + lines[last]
    return (text, last) if "`" not in _QUOTED.sub("", text) else (lines[pick], pick)


def _traceback_line(lines: list[str]) -> int | None:
    if not any(ln.startswith("Traceback (most recent call last)") for ln in lines):
        return None
    for i in range(len(lines) - 1, -1, -1):
        if EXCEPTION_LINE.match(lines[i]):
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


# -- templates back to plain words ------------------------------------------------------

_SLOT = re.compile(r"<(?:PATH|STR|NUM|ID|HEX|URL|TIME|\*)>")
_PLAIN = {
    "<PATH>": "a file path", "<STR>": "a value", "<NUM>": "a number", "<ID>": "an id",
    "<HEX>": "a hash", "<URL>": "a URL", "<TIME>": "a time", "<*>": "a value",
}
_SLOT_PATTERN = {
    "<NUM>": r"[-+]?\d+(?:[.,]\d+)*", "<STR>": r"[`'\"].*?['\"`]", "<PATH>": r"\S+?",
    "<ID>": r"\S+?", "<HEX>": r"\S+?", "<URL>": r"\S+?",
}
"""What each placeholder's value looks like in a raw line (``<TIME>``, ``<*>``: anything)."""
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "fish"})
_SHELL_NAME = r"(?:/[\w./-]*/)?(?:ba|z|da|k|a)?sh"
_LOCATION = re.compile(
    r"(?:^|(?<=\s))(?P<who>" + _SHELL_NAME + r"|<PATH>|<\*>|\(eval\))"
    r"(?P<where>: line <NUM>|: <NUM>|:<NUM>)?: (?=\S)"
)
"""A shell's "where" prefix: ``/bin/bash: line 51482: ``, ``/bin/sh: 1: ``, ``bash: ``."""
_NOUNS = frozenset(
    {"file", "directory", "folder", "module", "package", "table", "column", "command",
     "branch", "class", "function", "method", "option", "flag", "key", "field", "variable",
     "attribute", "property", "parameter", "argument", "host", "port", "user", "image",
     "container", "service", "tag", "remote", "target", "test", "resource", "record", "token",
     "flight", "date", "booking", "reservation", "order", "item", "line", "version", "path",
     "commit", "process", "job", "task", "project", "repository", "account", "card", "type",
     "symbol", "word", "program", "script", "library", "crate", "gem", "dependency", "plugin"}
)
_ADJECTIVES = ("unexpected|unknown|invalid|missing|undefined|unrecognized|unsupported|"
               "duplicate|bad|wrong|illegal|ambiguous|required|unresolved|empty|existing")
_LABEL = re.compile(
    r"(?i)(?:^|(?<=[\s(\[]))(?:(?P<adj>" + _ADJECTIVES + r") )?(?P<noun>[a-z]+) $"
)
"""A noun right before a slot names what the slot is: "File <STR>", "unexpected token <*>"."""
_LEADS = frozenset(
    {"on", "in", "at", "of", "for", "from", "to", "with", "by", "into", "near", "about",
     "find", "open", "read", "load", "create", "remove", "delete", "resolve", "import", "run",
     "access", "locate", "use", "no"}
)
"""Words after which a noun and its slot make a phrase of their own ("on flight <ID>")."""
_NAMED = re.compile(r"(?i)\b(?P<noun>[a-z]+) (?:named|called)\s*[:=]?\s*$")
_DETERMINER = re.compile(r"(?i)(?:^|\s)(?P<det>a|an|the|this|that|some|any|no|one|each|every)\s+$")
_QUOTES = ("''", '""', "``", "`'")
_BULLET = re.compile(r"^[-*•] ")
_NEVER_SHOWN = frozenset({"<ID>", "<HEX>", "<TIME>"})
"""Record ids, hashes and times belong to one record: a rule names them in plain words only."""
_MISSING_PATH = re.compile(r"[:\s(]*No such file or directory")


def _slot_regex(slot: str) -> str:
    """What a placeholder's value looks like in a raw line (``<TIME>``: anything)."""
    return _SLOT_PATTERN.get(slot, r".+?")


def _part_regex(token: str, capture: bool) -> str:
    """A regex for one token of a template (``capture``: a group per placeholder)."""
    parts = _SLOT.split(token)
    body = re.escape(parts[0])
    for slot, literal in zip(_SLOT.findall(token), parts[1:], strict=True):
        value = _slot_regex(slot)
        body += (f"({value})" if capture else f"(?:{value})") + re.escape(literal)
    return body


@lru_cache(maxsize=4096)
def _line_regex(template: str, masked: str) -> re.Pattern[str]:
    """The regex for raw lines that mask to ``masked`` and fit ``template``: a Drain
    ``<*>`` is one group shaped like the masked token it stands for, so nothing is
    left to guess but where a quoted value ends."""
    pieces = [
        f"({_part_regex(m, capture=False)})" if t == "<*>" else _part_regex(t, capture=True)
        for t, m in zip(template.split(" "), masked.split(" "), strict=True)
    ]
    return re.compile(" ".join(pieces), re.S)


def signature_values(template: str, raw: str) -> list[str] | None:
    """The values the placeholders of ``template`` took in ``raw``, in order.

    ``raw`` is the unmasked line the template was made from (its whitespace
    is normalized as :func:`mask` does); ``None`` when it does not fit: when
    ``mask(raw)`` is not the template, but for the Drain ``<*>`` tokens.

    >>> signature_values("<PATH>: line <NUM>: javac: command not found",
    ...                  "/bin/bash: line 51482: javac: command not found")
    ['/bin/bash', '51482']
    >>> signature_values("No module named <STR>", "No module named 'com'")
    ["'com'"]
    >>> signature_values("cannot open <*> now", "cannot open 'a b': now")
    ["'a b':"]
    >>> signature_values("No module named <STR>", "something else") is None
    True
    """
    raw = _WS.sub(" ", raw).strip()
    masked = mask(raw)
    if not _fits(template.split(" "), masked.split(" ")):
        return None
    found = _line_regex(template, masked).fullmatch(raw)
    return None if found is None else list(found.groups())


def _fits(template: list[str], masked: list[str]) -> bool:
    """Whether a masked line has the template's tokens (a Drain ``<*>`` fits any one)."""
    return len(template) == len(masked) and all(
        t in ("<*>", m) for t, m in zip(template, masked, strict=True)
    )


def humanize(template: str, raws: Sequence[str]) -> str:
    """A masked template in plain words, for directives, conditions and reasons.

    ``raws`` are the unmasked lines of the failures the template stands for
    (see :func:`signature_values`). Rules, in order:

    - a shell's location prefix (``/bin/bash: line 51482:``, ``/bin/sh: 1:``,
      ``bash:``) is dropped: it says where the shell was, not what failed;
    - a slot whose value is the same in every raw line gets that value, unless
      it is a record id, a hash or a time (``<ID>``, ``<HEX>``, ``<TIME>``,
      or a ``<*>`` whose value masks to one): those belong to one record, and
      a rule never carries them;
    - else a plain word: the noun written right before the slot names it
      ("on flight <ID>" becomes "on a flight"; a capitalized noun that opens a
      clause simply loses the slot: "File <STR> not found" is "File not
      found"), else the
      kind of the values ("a file path" for paths, "a number" ...), else the
      placeholder's own word (``<PATH>`` "a file path", ``<STR>`` and ``<*>``
      "a value", ``<NUM>`` "a number", ``<ID>`` "an id", ``<HEX>`` "a hash",
      ``<URL>`` "a URL", ``<TIME>`` "a time"); a count before a word
      ("<NUM> source files") is "some", a number glued to a unit (``<NUM>s``)
      or a slot glued to a word (``feature-<NUM>``) "…";
    - quotes around a plain word are dropped, an article before it is not
      doubled ("the <PATH>" is "the file path"), and slots next to each other
      that both vary read as one plain word; a leading list bullet ("- ") goes.

    Other angle-bracket text (``<line>`` in a usage message) is the tool's own
    and stays.

    >>> humanize("<PATH>: line <NUM>: javac: command not found",
    ...          ["/bin/bash: line 51482: javac: command not found",
    ...           "/bin/bash: line 7: javac: command not found"])
    'javac: command not found'
    >>> humanize("<PATH>: <NUM>: cd: can't cd to <PATH>",
    ...          ["/bin/sh: 1: cd: can't cd to /w/build", "/bin/sh: 1: cd: can't cd to /w/build"])
    "cd: can't cd to /w/build"
    >>> humanize("Error: File <STR> already exists.", ["Error: File 'a.java' already exists.",
    ...                                               "Error: File 'b.java' already exists."])
    'Error: File already exists.'
    >>> humanize("ls: cannot access <STR>: No such file or directory", [])
    'ls: cannot access a file path: No such file or directory'
    >>> humanize("KeyError: <STR> in <STR>", ["KeyError: 'a' in 'x'", "KeyError: 'b' in 'x'"])
    "KeyError: a value in 'x'"
    >>> humanize("cannot open <STR> with code <*>", ["cannot open 'src/a.py' with code 3",
    ...                                             "cannot open 'lib/b.py' with code 4"])
    'cannot open a file path with code a number'
    >>> humanize("Checking <NUM> source files in the <PATH>, took <NUM>s", [])
    'Checking some source files in the file path, took …s'
    >>> humanize("expected '<STR>' here", [])
    'expected a value here'
    >>> humanize("<PATH>: line <NUM>: syntax error near unexpected token <*>", [])
    'syntax error near an unexpected token'
    >>> humanize("Directory <*> not found", ["Directory src not found", "Directory a not found"])
    'Directory not found'
    >>> humanize("Error: flight <ID> not available", ["Error: flight HAT030 not available"])
    'Error: a flight not available'
    >>> humanize("- E999 SyntaxError: <*> <*>", ["- E999 SyntaxError: invalid syntax",
    ...                                         "- E999 SyntaxError: unmatched ')'"])
    'E999 SyntaxError: a value'
    """
    values = _slot_values(template, raws)
    template, values = _drop_location(template, values)
    template = _BULLET.sub("", template)
    parts = _SLOT.split(template)
    out, plain = parts[0], False
    for i, slot in enumerate(_SLOT.findall(template)):
        after, value = parts[i + 1], _shown(slot, values[i])
        if value is not None:
            out, plain = out + value + after, False
        elif plain and not parts[i].strip():
            out += after  # "<*> <*>": one varying phrase, one plain word
        else:
            out, after = _put_plain(out, after, slot, values[i])
            out, plain = out + after, True
    out = _WS.sub(" ", out).strip()
    return out[:1].upper() + out[1:] if template[:1].isupper() else out


def _shown(slot: str, seen: set[str]) -> str | None:
    """The slot's one value, if it has one and it may be shown (see :data:`_NEVER_SHOWN`)."""
    if len(seen) != 1 or slot in _NEVER_SHOWN:
        return None
    value = next(iter(seen))
    return None if slot == "<*>" and _value_kind(value) in _NEVER_SHOWN else value


def _slot_values(template: str, raws: Sequence[str]) -> list[set[str]]:
    """For each slot, the distinct values it took in the raw lines that fit."""
    columns: list[set[str]] = [set() for _ in _SLOT.findall(template)]
    for raw in dict.fromkeys(raws):
        found = signature_values(template, raw)
        for column, value in zip(columns, found or (), strict=False):
            column.add(value)
    return columns


def _drop_location(template: str, values: list[set[str]]) -> tuple[str, list[set[str]]]:
    """The template without a shell's location prefixes (and those slots' values).

    A literal shell name is always a location. A slot is one when its values
    are all shells, when it is followed by bash's ``line N`` (bash names the
    script it ran: ``./build.sh: line 3:``), or, its values unknown, by a number.
    """
    for found in reversed(list(_LOCATION.finditer(template))):
        first = len(_SLOT.findall(template[: found.start()]))
        if found.group("who") in ("<PATH>", "<*>"):
            shown = {v.rsplit("/", 1)[-1] for v in values[first]}
            where = found.group("where")
            shell = bool(shown) and shown <= _SHELLS
            if not (shell or where == ": line <NUM>" or (where and not shown)):
                continue
        dropped = len(_SLOT.findall(found.group(0)))
        template = template[: found.start()] + template[found.end() :]
        values = values[:first] + values[first + dropped :]
    return template, values


def _put_plain(out: str, after: str, slot: str, seen: set[str]) -> tuple[str, str]:
    """Append a slot's plain word to ``out``; returns the new ``out`` and the rest."""
    if out[-1:] + after[:1] in _QUOTES:
        out, after = out[:-1], after[1:]  # quotes around a plain word say nothing
    if slot == "<NUM>" and after[:1].isalnum():
        return out + "…", after  # a number glued to its unit: 3.5s
    if out and (out[-1].isalnum() or out[-1] in "-_."):
        return out + "…", after  # glued to a word: "feature-<NUM>" is "feature-…"
    if slot == "<NUM>" and re.match(r" [a-z]", after):
        return out + "some", after  # a count: "Checking <NUM> source files"
    tokens = _tokens(seen)
    if tokens:
        return out + tokens, after
    trail = _common_trail(seen)
    out, word = _labelled(out) or (out, _plain_word(out, after, slot, seen))
    determiner = _DETERMINER.search(out)
    if determiner and word.startswith(("a ", "an ")):
        word = word.split(" ", 1)[1]
        if determiner.group("det").lower() in ("a", "an"):
            out = out[: determiner.start("det")] + _article(word).split(" ", 1)[0] + " "
    return out + word + trail, after


def _tokens(seen: set[str]) -> str | None:
    """One-character syntax tokens (``)``, `` `(' ``) named as they are: "`(' or `)'"."""
    bare = {v.strip("'\"`") for v in seen}
    if not seen or not all(len(b) == 1 and not b.isalnum() for b in bare):
        return None
    return " or ".join(sorted(seen))


def _common_trail(seen: set[str]) -> str:
    """Punctuation every value ends with ("DISCUSSION:", "pp:"): kept after the plain word."""
    ends = {v[-1:] for v in seen}
    return ends.pop() if len(ends) == 1 and ends <= {":", ",", ";"} else ""


def _labelled(out: str) -> tuple[str, str] | None:
    """``out`` without a noun that names the slot, and "a <noun>" ("on flight" -> "on a
    flight"); ``None`` when no such noun ends ``out``."""
    label = _LABEL.search(out)
    if label is None or label.group("noun").lower() not in _NOUNS:
        return None
    before = out[: label.start()].rstrip()
    lead = before.rsplit(" ", 1)[-1].lower()
    if before and before[-1:].isalnum() and lead not in _LEADS:
        return None  # "payment method <*>": the noun is part of a longer name
    opens = not before or before.endswith(":")
    if opens and label.group(0)[:1].isupper():  # a clause opens with it: "File <*> not found"
        return out[: label.start()], " ".join(w for w in label.group("adj", "noun") if w)
    named = " ".join(w.lower() for w in label.group("adj", "noun") if w)
    return out[: label.start()], _article(named)


def _plain_word(before: str, after: str, slot: str, seen: set[str]) -> str:
    """The noun before "named"/"called", else "a file path" before "No such file or
    directory", else the kind the values share, else the slot's own word."""
    named = _NAMED.search(before)
    if named and named.group("noun").lower() in _NOUNS:
        return _article(named.group("noun").lower())
    if _MISSING_PATH.match(after):
        return _PLAIN["<PATH>"]
    kinds = {_value_kind(v) for v in seen}
    kind = kinds.pop() if len(kinds) == 1 else None
    return _PLAIN[kind] if kind and kind != "<STR>" else _PLAIN[slot]


def _value_kind(value: str) -> str | None:
    """The placeholder one value masks to on its own ("<PATH>" for 'src/a.py'), if any."""
    bare = value.strip("'\"`:,;")
    masked = mask(bare)
    if _SLOT.fullmatch(masked):
        return masked
    return "<PATH>" if "/" in bare and " " not in bare else None


def _article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun
