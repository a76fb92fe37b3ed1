"""Transcript text made safe to print on a reviewer's terminal.

Transcripts can hold terminal control sequences (an ESC that recolours,
hides or clears text, or sets the window title). Before such text is shown,
control characters other than newline and tab are replaced by visible
escapes, so a reviewer sees them instead of the terminal obeying them.

>>> printable("ok \\x1b[8mhidden\\x07")
'ok \\\\x1b[8mhidden\\\\x07'
"""

from __future__ import annotations

import re

__all__ = ["printable"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters (except newline and tab) shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
