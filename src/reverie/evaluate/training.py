"""Mining and dreaming on the training part of a split, in scratch space only.

:func:`train_rules` takes the failures and corrections of the training
sessions (already detected by :func:`reverie.evaluate.profile.profile_store`),
assigns their signatures, builds the motifs through :class:`ScratchMining`
(in memory, it holds those results and answers the aggregate queries of the
store contract that mining asks), and runs the curation workflow
(:func:`reverie.workflow.curate`, on those motifs, with the training sessions
as the live ones) in a scratch workspace: a temporary rule book and audit log
over the same store. The workspace's ``rules/``, audit log and the store's
mining tables are never written: the held-out sessions cannot leak into the
rules they are measured against.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reverie.epoch import to_ms
from reverie.evaluate.signatures import assign_with_texts
from reverie.mine.causes import signature_causes
from reverie.mine.fixes import fixes_by_signature
from reverie.mine.motifs import build_motifs
from reverie.mine.pipeline import signature_raws
from reverie.models import TRUST_CLASSES, Correction, Failure, Motif, Signature
from reverie.rulebook.distill import TemplateDistiller
from reverie.rulebook.rules import Rule, load_rules
from reverie.store.base import GraphStore
from reverie.store.mining_base import (
    FailureExample,
    MiningEvent,
    MiningSession,
    RecoveryStat,
    SignatureSession,
    SignatureStat,
)
from reverie.workflow import curate
from reverie.workspace import Workspace

__all__ = ["ScratchMining", "Training", "train_rules"]


def _avg(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


class ScratchMining:
    """Mining results of some sessions, held in memory; aggregates as the SQL store does them.

    ``store`` (read only) is asked for the file and line of example events.
    """

    def __init__(
        self,
        store: GraphStore,
        tenant: str,
        failures: Iterable[Failure],
        corrections: Iterable[Correction],
        fix_ms: Mapping[str, int | None],
        failed: Mapping[str, bool | None],
    ):
        self.store, self.tenant = store, tenant
        # snapshot: assign_signatures may run again later on the same Failure objects
        self.failures = [(f, f.signature_id) for f in failures if f.signature_id]
        by_id = {f.id: sig for f, sig in self.failures}
        self.corrections = [(c, by_id.get(c.failure_id), fix_ms.get(c.id)) for c in corrections]
        self.failed = failed
        self._motifs: list[Motif] = []

    # -- the stream methods: scratch results are built from profiles, not streamed ---------
    def failure_candidates(self, tenant: str) -> Iterator[MiningEvent]:
        return iter(())

    def mining_sessions(self, tenant: str) -> Iterator[MiningSession]:
        return iter(())

    def write_mining(self, tenant: str, failures: Any, signatures: Any, corrections: Any) -> None:
        raise TypeError("scratch mining results are fixed when it is built")

    # -- aggregates ------------------------------------------------------------------------
    def signature_stats(
        self, tenant: str, trust_weights: Mapping[str, float]
    ) -> list[SignatureStat]:
        if tenant != self.tenant:
            return []
        groups: dict[str, list[Failure]] = defaultdict(list)
        for f, sig in self.failures:
            groups[sig].append(f)
        out = []
        for sig, fs in groups.items():
            stamps = [to_ms(f.timestamp) for f in fs if f.timestamp is not None]
            known = [t for t in stamps if t is not None]
            out.append(
                SignatureStat(
                    sig, max(f.kind for f in fs), len(fs), len({f.session_id for f in fs}),
                    len({f.agent for f in fs}),
                    sum(float(trust_weights.get(f.trust, 0.0)) for f in fs
                        if f.trust in TRUST_CLASSES),
                    min(known, default=None), max(known, default=None),
                )
            )
        return out

    def signature_sessions(self, tenant: str) -> list[SignatureSession]:
        if tenant != self.tenant:
            return []
        pairs = {(sig, f.session_id): f.agent for f, sig in self.failures}
        return [
            SignatureSession(sig, sid, agent, self.failed.get(sid))
            for (sig, sid), agent in sorted(pairs.items())
        ]

    def recovery_stats(self, tenant: str) -> list[RecoveryStat]:
        if tenant != self.tenant:
            return []
        groups: dict[tuple[str, str, str], list[tuple[Correction, int | None]]] = defaultdict(list)
        for c, sig, ms in self.corrections:
            if sig is not None:
                groups[(sig, c.kind, c.summary)].append((c, ms))
        return [
            RecoveryStat(
                sig, kind, summary, len(rows), sum(c.steps for c, _ in rows) / len(rows),
                sum(c.tokens for c, _ in rows) / len(rows), _avg([ms for _, ms in rows]),
            )
            for (sig, kind, summary), rows in sorted(groups.items())  # GROUP BY order
        ]

    def failure_examples(
        self, tenant: str, signature_ids: Iterable[str], limit: int = 3
    ) -> list[FailureExample]:
        if tenant != self.tenant:
            return []
        wanted = set(signature_ids)
        per_sig: dict[str, list[Failure]] = defaultdict(list)
        for f, sig in self.failures:
            if sig in wanted:
                per_sig[sig].append(f)
        chosen: list[tuple[str, Failure]] = []
        for sig, fs in sorted(per_sig.items()):
            fs.sort(key=lambda f: (to_ms(f.timestamp) or 0, f.id))
            rank: dict[str, int] = defaultdict(int)
            keyed = []
            for f in fs:
                keyed.append((rank[f.session_id], to_ms(f.timestamp) or 0, f.id, f))
                rank[f.session_id] += 1
            chosen.extend((sig, k[3]) for k in sorted(keyed, key=lambda k: k[:3])[:limit])
        lines = self._lines(f for _, f in chosen)
        return [
            FailureExample(sig, f.id, f.event_id, f.session_id, *lines[f.event_id])
            for sig, f in chosen
            if f.event_id in lines
        ]

    def _lines(self, failures: Iterable[Failure]) -> dict[str, tuple[str, int]]:
        """File and line of the failures' events, read from the store (one session at a time)."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for f in failures:
            wanted[f.session_id].add(f.event_id)
        out: dict[str, tuple[str, int]] = {}
        for sid, ids in sorted(wanted.items()):
            for ev in self.store.events(self.tenant, session_id=sid):
                if ev.id in ids:
                    out[ev.id] = (ev.source.file, ev.source.line)
        return out

    def write_motifs(self, tenant: str, motifs: Iterable[Motif]) -> None:
        self._motifs = list(motifs)

    def motifs(self, tenant: str) -> list[Motif]:
        return list(self._motifs) if tenant == self.tenant else []


@dataclass
class Training:
    """What the training part gave: its signatures, motifs and the dreamed rules."""

    signatures: dict[str, Signature] = field(default_factory=dict)
    motifs: list[Motif] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    decisions: dict[str, int] = field(default_factory=dict)


def train_rules(
    workspace: Workspace,
    tenant: str,
    failures: list[Failure],
    corrections: list[Correction],
    fix_ms: Mapping[str, int | None],
    failed: Mapping[str, bool | None],
    train_ids: set[str],
    now: datetime | None = None,
    texts: Mapping[str, tuple[str, str]] | None = None,
) -> Training:
    """Mine ``failures`` (the training sessions' only) and dream once, in scratch space.

    ``failed`` maps each training session to whether its outcome failed (``None``:
    unknown); ``train_ids`` are the training sessions (the dream's live sessions);
    ``texts`` the failures' signature texts when already computed. The dream
    runs in :meth:`~reverie.workspace.Workspace.scratch` space: the workspace's
    store is read, its rule book and audit log are never written.
    """
    store, settings = workspace.store, workspace.settings
    signatures = assign_with_texts(tenant, failures, texts or {})
    results = ScratchMining(store, tenant, failures, corrections, fix_ms, failed)
    known = [v for v in failed.values() if v is not None]
    motifs = build_motifs(
        results,  # type: ignore[arg-type]  # the mining part of the contract only
        tenant,
        signatures,
        min_sessions=settings.mine.min_sessions,
        min_agents=settings.mine.min_agents,
        trust_weights={t: settings.trust.weight(t) for t in TRUST_CLASSES},
        failed_sessions=sum(known),
        known_sessions=len(known),
        fixes=fixes_by_signature(failures, corrections),
        causes=signature_causes(failures),
        raws=signature_raws(failures),
    )
    with tempfile.TemporaryDirectory(prefix="reverie-eval-") as tmp:
        scratch = workspace.scratch(Path(tmp))
        report = curate(  # the rule book's own policy, on the training part's motifs
            scratch,
            tenant,
            now=now or datetime.now(UTC),
            distiller=TemplateDistiller(settings.root),
            motifs=motifs,
            live_sessions=set(train_ids),
        )
        rules = load_rules(scratch.rules_dir, tenant)
    return Training(
        signatures={s.id: s for s in signatures},
        motifs=motifs,
        rules=[r for r in rules if not r.seeded],
        decisions=report.counts(),
    )
