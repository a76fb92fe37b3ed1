"""Drain-style template merging: near-identical masked messages become one template.

After :func:`reverie.mine.normalize.mask`, messages that still differ in a word
or two (an identifier, a module name) should share a signature. Following
Drain (He et al., ICWS 2017), messages are grouped by a key (here: tool,
program, error class), their token count and their first token; inside a
group a message joins the most similar cluster when the share of positions
with equal tokens is at least ``threshold``, and the positions that differ
become ``<*>``. Otherwise it starts a new cluster.

Templates only ever generalize, so a message's cluster is final once added;
read its template after all messages are in (:meth:`TemplateMiner.template`).

>>> miner = TemplateMiner(threshold=0.6)
>>> a = miner.add("k", "NameError: name <STR> is not defined in module app")
>>> b = miner.add("k", "NameError: name <STR> is not defined in module cli")
>>> a == b, miner.template(a)
(True, 'NameError: name <STR> is not defined in module <*>')
>>> c = miner.add("k", "KeyError: totally different words here now")
>>> c == a
False
"""

from __future__ import annotations

from collections.abc import Hashable

__all__ = ["WILDCARD", "TemplateMiner"]

WILDCARD = "<*>"


def _is_variable(token: str) -> bool:
    return token.startswith("<") and token.endswith(">")


class TemplateMiner:
    """Clusters token sequences per key; see the module docstring."""

    def __init__(self, threshold: float = 0.6, max_clusters_per_group: int = 200):
        self.threshold = threshold
        self.max_clusters_per_group = max_clusters_per_group
        self._templates: list[list[str]] = []
        self._groups: dict[tuple[Hashable, int, str], list[int]] = {}
        self._exact: dict[tuple[Hashable, str], int] = {}

    def add(self, key: Hashable, message: str) -> int:
        """Add one masked message under ``key``; return its cluster number."""
        seen = self._exact.get((key, message))
        if seen is not None:
            return seen
        tokens = message.split()
        first = tokens[0] if tokens and not _is_variable(tokens[0]) else WILDCARD
        group = self._groups.setdefault((key, len(tokens), first), [])
        best, best_sim = -1, -1.0
        for cid in group:
            sim = _similarity(self._templates[cid], tokens)
            if sim > best_sim:
                best, best_sim = cid, sim
        if best >= 0 and (best_sim >= self.threshold or len(group) >= self.max_clusters_per_group):
            template = self._templates[best]
            for i, tok in enumerate(tokens):
                if template[i] != tok:
                    template[i] = WILDCARD
            cid = best
        else:
            cid = len(self._templates)
            self._templates.append(list(tokens))
            group.append(cid)
        self._exact[(key, message)] = cid
        return cid

    def template(self, cluster: int) -> str:
        """The cluster's current template text."""
        return " ".join(self._templates[cluster])

    def __len__(self) -> int:
        return len(self._templates)


def _similarity(template: list[str], tokens: list[str]) -> float:
    """Share of positions where the tokens are equal (wildcards count as equal).

    A template with no fixed token left is treated as dissimilar, so one
    all-wildcard cluster cannot swallow a whole group.
    """
    if not tokens:
        return 1.0
    same = 0
    fixed = 0
    for t, m in zip(template, tokens, strict=True):
        if t == WILDCARD:
            same += 1
            continue
        fixed += 1
        if t == m:
            same += 1
    if fixed == 0:
        return 0.0
    return same / len(tokens)
