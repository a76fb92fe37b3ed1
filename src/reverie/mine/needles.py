"""Literal prefilters for the case-insensitive patterns that read failure text.

A pattern compiled with ``re.I`` cannot skip ahead to a likely start: it tries
every alternative at every position, which made reading failure lines most of
a mining run's signature stage. :class:`Needled` pairs such a pattern with its
*needles*: for each alternative, a piece that every match of it contains
literally, in lower case. ASCII text that, lowered, holds none of the needles
cannot match, so the pattern does not run on it. Other text (where lowering
can change a letter into two, as ``İ`` into ``i̇``) always runs the pattern, so
the answer is the pattern's own in every case.

>>> words = Needled(r"\\bfailed\\b|permission denied|^E: ", ("failed", "permission denied", "e: "))
>>> words.search("Permission Denied (publickey)") is not None
True
>>> words.search("all good") is None
True
>>> "failed" in "ALL FAİLED".lower(), words.search("ALL FAİLED") is not None  # not ASCII
(False, True)
"""

from __future__ import annotations

import re

__all__ = ["Needled", "folded"]


def folded(text: str) -> str | None:
    """``text`` in lower case when it is ASCII (where that is exact), else ``None``."""
    return text.lower() if text.isascii() else None


class Needled:
    """A case-insensitive pattern with the literal needles one of which each match holds."""

    def __init__(self, pattern: str, needles: tuple[str, ...], flags: int = 0):
        self.pattern = re.compile(pattern, flags | re.I)
        self.needles = needles
        if any(n != n.lower() for n in needles):
            raise ValueError(f"needles are lower case: {needles}")

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """``pattern.search(text)``, skipped when ``text`` cannot match.

        ``lowered`` is :func:`folded` of ``text`` when the caller has it already.
        """
        low = folded(text) if lowered is None else lowered
        if low is not None and not any(n in low for n in self.needles):
            return None
        return self.pattern.search(text)
