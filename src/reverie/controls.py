"""Control characters shown as visible escapes, for terminals and rendered files alike.

Transcripts can hold terminal control sequences (an ESC that recolours, hides
or clears text, or sets the window title) and Unicode direction overrides
(which reorder what the eye reads). :func:`printable` replaces those
characters, other than newline and tab, by ``\\xNN`` / ``\\uNNNN``. The module
imports only ``re``: the CLI prints through it on every command.

>>> printable("ok \\x1b[8mhidden\\x07")
'ok \\\\x1b[8mhidden\\\\x07'
"""

from __future__ import annotations

import re

__all__ = ["CONTROL", "printable"]

# C0 and C1 controls (not newline, tab), DEL, and the Unicode bidi/format controls
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters (except newline and tab) shown as ``\\xNN`` / ``\\uNNNN``.

    >>> printable("a\\u202eb")
    'a\\\\u202eb'
    """
    return CONTROL.sub(_escape, text)
