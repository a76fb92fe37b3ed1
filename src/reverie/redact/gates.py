"""Which of many literal words a text contains, in one pass over it.

The detectors of :mod:`reverie.redact.patterns` and :mod:`reverie.redact.injection`
run their regular expressions only when the text holds certain words
(``sk-``, ``@``, ``ignor``, ``instruction``, ...). Testing each word with
``in`` scans a long tool output once per word, dozens of times; an
Aho-Corasick automaton (``ahocorasick_rs``) finds them all in one scan.
Overlapping matches are reported, so the set found is exactly the set of
words for which ``word in text`` holds.

>>> gate = Literals(["pass", "password", "sk-"])
>>> sorted(gate.words(gate.present(b"password=sk-1")))
['pass', 'password', 'sk-']
>>> gate.spans("é password")
[(2, 6), (2, 10)]
"""

from __future__ import annotations

from collections.abc import Iterable

from ahocorasick_rs import AhoCorasick, BytesAhoCorasick

__all__ = ["Literals"]


class Literals:
    """A fixed set of words; :meth:`present` gives the indexes of those in a text."""

    __slots__ = ("_automaton", "_text_automaton", "index", "words_list")

    def __init__(self, words: Iterable[str]) -> None:
        self.words_list = list(dict.fromkeys(words))
        self.index = {word: i for i, word in enumerate(self.words_list)}
        self._automaton = BytesAhoCorasick([w.encode() for w in self.words_list])
        self._text_automaton: AhoCorasick | None = None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` (in characters) of every occurrence of every word, overlaps
        included, sorted: what ``str.find`` in a loop over each word would find."""
        if self._text_automaton is None:
            self._text_automaton = AhoCorasick(self.words_list)
        return sorted(
            (start, end)
            for _, start, end in self._text_automaton.find_matches_as_indexes(
                text, overlapping=True
            )
        )

    def present(self, haystack: bytes) -> frozenset[int]:
        """Indexes (into the words) of every word that occurs in ``haystack``."""
        return frozenset(
            i for i, _, _ in self._automaton.find_matches_as_indexes(haystack, overlapping=True)
        )

    def ids(self, words: Iterable[str]) -> frozenset[int]:
        """The indexes of ``words`` (each must be one of this set's words)."""
        return frozenset(self.index[w] for w in words)

    def words(self, ids: Iterable[int]) -> list[str]:
        return [self.words_list[i] for i in ids]
