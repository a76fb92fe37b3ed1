"""Signatures to motifs: group near-identical signatures, keep those that recur.

:func:`group_signatures` builds a small networkx graph over the signatures of
one key (tool, program, error class): two signatures are linked when their
templates are near-identical token sequences of different lengths (what the
Drain pass, which compares equal lengths only, could not merge); each
connected component is one motif candidate. The graph is bounded: only
signatures of the same key are compared, and in a key with more than
``max_group`` signatures only those seen in two or more sessions.

:func:`merge_by_cause` then joins the candidates whose failures share one
root cause (:mod:`reverie.mine.causes`: ``javac``, ``java`` and ``mvn`` not
found, or ``JAVA_HOME`` unset, are one missing Java toolchain), whatever
program or tool ran them: one cause is one motif. Candidates without a cause
stay as they are.

:func:`build_motifs` takes the store's aggregates (see
:class:`~reverie.store.base.GraphStore`), keeps the motifs that
recur in at least ``min_sessions`` sessions (a merged motif's sessions are the
union of its signatures' sessions, each counted once) and scores them
(:mod:`reverie.mine.scores`). Failed session outcomes are not motifs of their
own: they feed each motif's lift.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from difflib import SequenceMatcher

import networkx as nx

from reverie.ids import make_id
from reverie.mine.causes import CauseTally
from reverie.mine.facts import Cause
from reverie.mine.fixes import FixRow, rows_for
from reverie.mine.scores import MotifEvidence, score_motif
from reverie.models import Motif, Signature
from reverie.store.base import GraphStore
from reverie.store.mining_base import SignatureStat

__all__ = ["build_motifs", "group_signatures", "merge_by_cause", "motif_id"]

NEAR = 0.85
EXAMPLES = 3


def motif_id(tenant: str, signature_ids: Iterable[str]) -> str:
    """Stable id of the motif grouping exactly these signatures.

    >>> motif_id("t", ["b", "a"]) == motif_id("t", ["a", "b"])
    True
    """
    return make_id("motif", tenant, sorted(set(signature_ids)))


def group_signatures(
    signatures: Sequence[Signature],
    sessions: Mapping[str, int] | None = None,
    near: float = NEAR,
    max_group: int = 300,
) -> list[list[Signature]]:
    """Connected components of near-identical signatures within each key.

    >>> from reverie.models import Signature
    >>> mk = lambda i, t: Signature(id=i, tenant="t", tool="Bash", program="npm test",
    ...                              error_class="test_failure", template=t)
    >>> groups = group_signatures([mk("a", "error: could not find module <STR> in the path"),
    ...                            mk("b", "error: could not find the module <STR> in the path"),
    ...                            mk("c", "Cannot find module <STR>")])
    >>> sorted(sorted(s.id for s in g) for g in groups)
    [['a', 'b'], ['c']]
    """
    by_key: dict[tuple[str | None, str | None, str], list[Signature]] = defaultdict(list)
    for sig in signatures:
        by_key[(sig.tool, sig.program, sig.error_class)].append(sig)
    out: list[list[Signature]] = []
    for group in by_key.values():
        if len(group) == 1:
            out.append(list(group))  # its own component: no graph to build
            continue
        graph: nx.Graph[str] = nx.Graph()
        graph.add_nodes_from(s.id for s in group)
        pool = group
        if len(group) > max_group and sessions is not None:
            pool = [s for s in group if sessions.get(s.id, 0) >= 2][:max_group]
        tokens = {s.id: s.template.split() for s in pool}
        for i, a in enumerate(pool):
            for b in pool[i + 1 :]:
                ta, tb = tokens[a.id], tokens[b.id]
                if len(ta) == len(tb) or abs(len(ta) - len(tb)) > max(2, len(ta) // 5):
                    continue
                if SequenceMatcher(None, ta, tb, autojunk=False).ratio() >= near:
                    graph.add_edge(a.id, b.id)
        lookup = {s.id: s for s in group}
        for component in nx.connected_components(graph):
            out.append(sorted((lookup[i] for i in component), key=lambda s: s.id))
    return out


def merge_by_cause(
    groups: Iterable[list[Signature]], causes: Mapping[str, CauseTally]
) -> list[tuple[list[Signature], Cause | None]]:
    """Join the candidate groups whose signatures all share one cause key.

    ``causes`` (:func:`reverie.mine.causes.signature_causes`) maps signature
    ids to their cause. A group joins when every signature in it has the same
    key; the joined group's signatures are sorted by id, and its cause counts
    the subjects of all of them. Other groups come back unchanged, without a
    cause.

    >>> from collections import Counter
    >>> from reverie.models import Signature
    >>> mk = lambda i, p: Signature(id=i, tenant="t", tool="bash", program=p,
    ...                              error_class="command_not_found", template=f"{p}: not found")
    >>> java = ("missing_toolchain", "java")
    >>> causes = {"a": CauseTally("missing_toolchain", "java", java, Counter(javac=5)),
    ...           "b": CauseTally("missing_toolchain", "java", java, Counter(mvn=2, javac=1))}
    >>> merged = merge_by_cause([[mk("b", "mvn")], [mk("a", "javac")], [mk("c", "pytest")]],
    ...                         causes)
    >>> [([s.id for s in g], c and c.subjects) for g, c in merged]
    [(['c'], None), (['a', 'b'], ['javac', 'mvn'])]
    """
    out: list[tuple[list[Signature], Cause | None]] = []
    joined: dict[tuple[str, str], tuple[list[Signature], CauseTally]] = {}
    for group in groups:
        keys = {causes[s.id].key if s.id in causes else None for s in group}
        key = keys.pop() if len(keys) == 1 else None
        if key is None:
            out.append((group, None))
            continue
        sigs, tally = joined.setdefault(
            key, ([], CauseTally(causes[group[0].id].kind, causes[group[0].id].group, key))
        )
        sigs.extend(group)
        for sig in group:
            tally.add(causes[sig.id])
    for sigs, tally in joined.values():
        out.append((sorted(sigs, key=lambda s: s.id), tally.cause()))
    return out


def build_motifs(
    store: GraphStore,
    tenant: str,
    signatures: Sequence[Signature],
    *,
    min_sessions: int,
    min_agents: int,
    trust_weights: Mapping[str, float],
    failed_sessions: int = 0,
    known_sessions: int = 0,
    fixes: Mapping[str, list[FixRow]] | None = None,
    causes: Mapping[str, CauseTally] | None = None,
    raws: Mapping[str, list[str]] | None = None,
) -> list[Motif]:
    """Motifs recurring in ``min_sessions``+ sessions, scored, best first.

    ``fixes`` (:func:`reverie.mine.fixes.fixes_by_signature`) gives each
    signature's fixes with their sessions, so recovery consistency is counted
    over distinct sessions; without it, over occurrences. ``causes``
    (:func:`reverie.mine.causes.signature_causes`) joins the candidates of one
    root cause into one motif (:func:`merge_by_cause`); without it, none are
    joined. ``raws`` (signature id -> unmasked failure lines) lets a motif's
    facts name the concrete values its template masks.
    """
    stats: dict[str, SignatureStat] = {
        s.signature_id: s for s in store.signature_stats(tenant, trust_weights)
    }
    per_sig_sessions: dict[str, dict[str, tuple[str, bool | None]]] = defaultdict(dict)
    for row in store.signature_sessions(tenant):
        per_sig_sessions[row.signature_id][row.session_id] = (row.agent, row.failed)
    usable = [
        s for s in signatures if s.id in stats and stats[s.id].kind != "failed_outcome"
    ]
    counts = {sid: len(v) for sid, v in per_sig_sessions.items()}
    evidence: list[MotifEvidence] = []
    for group, cause in merge_by_cause(group_signatures(usable, counts), causes or {}):
        sessions: dict[str, tuple[str, bool | None]] = {}
        for sig in group:  # the union: a session with javac and mvn failures counts once
            sessions.update(per_sig_sessions.get(sig.id, {}))
        if len(sessions) < min_sessions:
            continue
        evidence.append(MotifEvidence(signatures=group, stats=[stats[s.id] for s in group],
                                      sessions=sessions, cause=cause))
    if not evidence:
        return []
    wanted = [s.id for ev in evidence for s in ev.signatures]
    recoveries = defaultdict(list)
    # sorted here, so ties between fixes break the same way on every store
    stats_rows = store.recovery_stats(tenant)
    for r in sorted(stats_rows, key=lambda r: (r.signature_id, r.kind, r.summary)):
        recoveries[r.signature_id].append(r)
    examples = defaultdict(list)
    for ex in store.failure_examples(tenant, wanted, limit=EXAMPLES):
        examples[ex.signature_id].append(ex)
    motifs = []
    for ev in evidence:
        ids = [s.id for s in ev.signatures]
        ev.recoveries = [r for sid in ids for r in recoveries.get(sid, [])]
        ev.examples = [x for sid in ids for x in examples.get(sid, [])]
        ev.fixes = rows_for(fixes, ids) if fixes is not None else None
        ev.raws = [line for sid in ids for line in (raws or {}).get(sid, [])]
        motifs.append(
            score_motif(
                motif_id(tenant, ids), tenant, ev, min_agents=min_agents,
                failed_sessions=failed_sessions, known_sessions=known_sessions,
            )
        )
    motifs.sort(key=lambda m: (-m.score, m.id))
    return motifs
