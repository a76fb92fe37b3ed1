"""Comparing two directives: contradiction and near-duplication, by plain word rules.

A directive is read as a polarity (do / don't), an action and, when it has
one, an order ("run A before B" is the pair (A, B); "run A after B" is (B, A)).

- Two directives **conflict** when they say the opposite about the same action
  ("Always use X." vs "Never use X.") or put the same two steps in opposite
  orders ("Run A before B." vs "Run B before A.").
- Two directives are **near-duplicates** when they agree in polarity and order
  and share most of their content words.

>>> conflict("Always use `uv` for installs.", "Never use `uv` for installs.")
True
>>> conflict("Run `mix format` before `git commit`.", "Run `git commit` before `mix format`.")
True
>>> conflict("Run `mix format` before `git commit`.", "Run `mix test` after a fix.")
False
>>> similarity("Run `mix format` before committing.", "Run `mix format` before you commit.") > 0.6
True
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["conflict", "near_duplicate", "order_pair", "polarity", "similarity", "words"]

NEAR_DUPLICATE = 0.6
SAME_ACTION = 0.75
_NEGATIONS = ("never ", "do not ", "don't ", "dont ", "avoid ", "stop ", "must not ", "no longer ")
_FILLER = ("always ", "please ", "must ", "you should ", "make sure to ", "be sure to ")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "in",
        "on",
        "at",
        "with",
        "by",
        "and",
        "or",
        "you",
        "your",
        "it",
        "its",
        "this",
        "that",
        "is",
        "are",
        "be",
        "when",
        "every",
        "each",
        "any",
        "all",
        "first",
        "then",
    ]
)


@lru_cache(maxsize=16384)
def _clean(text: str) -> str:
    return " ".join(text.lower().replace("`", " ").strip(" .!").split())


@lru_cache(maxsize=16384)
def polarity(directive: str) -> bool:
    """True for "do", False for "don't"."""
    text = _clean(directive) + " "
    for filler in _FILLER:
        text = text.removeprefix(filler)
    return not text.startswith(_NEGATIONS)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) >= 4 and word[-1] == word[-2]:
        word = word[:-1]
    return word.rstrip("e")


@lru_cache(maxsize=16384)
def words(text: str) -> frozenset[str]:
    """Content words, stemmed, without polarity and filler words."""
    text = _clean(text) + " "
    for prefix in _FILLER + _NEGATIONS:
        text = text.replace(prefix, " ")
    return frozenset(
        _stem(w) for w in re.findall(r"[a-z0-9_.:/-]+", text) if w not in _STOP and len(w) > 1
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


@lru_cache(maxsize=16384)
def order_pair(directive: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(first step, second step) for "A before B" / "A after B" directives, else None."""
    text = _clean(directive)
    for word, flip in ((" before ", False), (" after ", True)):
        if word in text:
            left, right = text.split(word, 1)
            a, b = words(left) - {"run", "running"}, words(right) - {"run", "running"}
            if a and b:
                return (b, a) if flip else (a, b)
    return None


def _same(a: frozenset[str], b: frozenset[str]) -> bool:
    return _jaccard(a, b) >= SAME_ACTION


def conflict(first: str, second: str) -> bool:
    """Whether the two directives contradict each other (see the module docstring)."""
    p1, p2 = order_pair(first), order_pair(second)
    same_polarity = polarity(first) == polarity(second)
    if p1 and p2 and same_polarity and _same(p1[0], p2[1]) and _same(p1[1], p2[0]):
        return not _same(p1[0], p1[1])
    return polarity(first) != polarity(second) and _same(words(first), words(second))


def similarity(first: str, second: str) -> float:
    """Share of content words the two directives have in common (Jaccard, 0 to 1)."""
    return _jaccard(words(first), words(second))


def near_duplicate(first: str, second: str) -> bool:
    """Same polarity and order, most content words shared, and not a conflict."""
    if conflict(first, second) or polarity(first) != polarity(second):
        return False
    p1, p2 = order_pair(first), order_pair(second)
    if p1 and p2 and not (_same(p1[0], p2[0]) and _same(p1[1], p2[1])):
        return False
    return similarity(first, second) >= NEAR_DUPLICATE
