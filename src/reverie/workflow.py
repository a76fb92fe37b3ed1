"""The curation workflow: mine a tenant, gather each motif's evidence, dream once.

``reverie dream``, ``reverie demo``, ``reverie forget`` (which re-runs the
dream's reinforce and retire logic after an erasure) and evaluation's
training part (which dreams into a scratch rule book) all run
:func:`curate`, so they agree on what counts as evidence:

1. mine the tenant in the workspace's store (:func:`mine_tenant`, thresholds
   from the policy and ``[mine]``), unless the caller passes ``motifs``
   already mined (evaluation mines its training part in scratch space;
   ``forget`` passes only the motifs its rules fed);
2. dream over the workspace's rule book and audit log
   (:func:`reverie.rulebook.dream.dream`): each motif's evidence is read
   from the store (the events as stored, i.e. redacted), and only the
   tenant's live sessions count as evidence: sessions erased by
   ``reverie forget`` are tombstones, not evidence
   (:func:`~reverie.store.base.live_session_ids`). For the workspace's own
   rule book (not a scratch one), the dream also weighs how agents used the
   rules served to them over MCP (:class:`~reverie.rulebook.usage.UsageReader`).
   Unless ``dry_run``, the dream holds the workspace lock
   (:meth:`Workspace.locked`); mining does not.

The library prints nothing. A caller that shows progress passes
``progress(stage, advance, total)``: it is called with ``advance=0`` when a
stage starts, then with the units done since the last call; ``total`` is the
stage's size when known. Stages: ``"mining"`` (events) and ``"dreaming"``
(motifs; advanced once, when the dream is done).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import datetime
from typing import Protocol

from reverie.mine import mine
from reverie.models import Motif
from reverie.rulebook.distill import Distiller, EvidenceItem
from reverie.rulebook.dream import DreamPolicy, DreamReport, dream
from reverie.rulebook.evidence import event_refs, evidence_items, fetch_events
from reverie.rulebook.usage import UsageReader
from reverie.store.base import GraphStore, live_session_ids
from reverie.workspace import Workspace

__all__ = ["StageProgress", "curate", "evidence_reader", "mine_tenant"]

class StageProgress(Protocol):
    """``progress(stage, advance, total)``: see the module docstring."""

    def __call__(self, stage: str, advance: int, total: int | None, /) -> None: ...


def mine_tenant(
    workspace: Workspace,
    tenant: str,
    *,
    min_sessions: int | None = None,
    progress: StageProgress | None = None,
) -> list[Motif]:
    """Mine ``tenant`` in the workspace's store now; store and return its motifs, best first.

    ``min_sessions`` defaults to ``[mine] min_sessions``; ``progress`` hears the
    ``"mining"`` stage, counted in events.
    """
    store, settings = workspace.store, workspace.settings
    tick = None
    if progress is not None:
        tick = _stage(progress, "mining", store.stats(tenant).events or None)
    return mine(store, tenant, settings.mine, settings.trust, min_sessions=min_sessions,
                progress=tick)


def _stage(progress: StageProgress, stage: str, total: int | None) -> Callable[[int], None]:
    """Start ``stage`` on ``progress``; return the per-step callback (units done since last)."""
    progress(stage, 0, total)
    return lambda n: progress(stage, n, total)


def evidence_reader(store: GraphStore, tenant: str) -> Callable[[Motif], list[EvidenceItem]]:
    """The dream's ``evidence_for``: a motif's example events, as stored, with their trust."""

    def evidence_for(motif: Motif) -> list[EvidenceItem]:
        return evidence_items(motif, fetch_events(store, tenant, event_refs(motif)))

    return evidence_for


def curate(
    workspace: Workspace,
    tenant: str,
    *,
    now: datetime,
    policy: DreamPolicy | None = None,
    distiller: Distiller | None = None,
    dry_run: bool = False,
    progress: StageProgress | None = None,
    motifs: Sequence[Motif] | None = None,
    live_sessions: set[str] | None = None,
) -> DreamReport:
    """Mine ``tenant``, gather evidence and dream once (see the module docstring).

    ``policy`` defaults to the workspace's (``[dream]``, ``[mine]``, ``[trust]``);
    ``distiller`` to the offline templates. ``motifs`` skips mining;
    ``live_sessions`` replaces the tenant's live sessions as the evidence that
    counts (evaluation passes its training sessions). ``now`` is the cycle's clock.
    """
    policy = policy or DreamPolicy.from_settings(workspace.settings)
    if motifs is None:
        motifs = mine_tenant(workspace, tenant, min_sessions=policy.min_sessions,
                             progress=progress)
    store = workspace.store
    done = _stage(progress, "dreaming", len(motifs)) if progress is not None else None
    with nullcontext() if dry_run else workspace.locked("reverie dream"):
        if live_sessions is None:
            live_sessions = live_session_ids(store, tenant)
        usage = None
        if workspace.rules_dir == workspace.settings.rules_dir:
            usage = UsageReader(store, tenant, now, policy.usage_window_days,
                                policy.usage_min_feedback)
        report = dream(
            rules_dir=workspace.rules_dir,
            audit=workspace.audit,
            tenant=tenant,
            motifs=list(motifs),
            now=now,
            policy=policy,
            distiller=distiller,
            evidence_for=evidence_reader(store, tenant),
            live_sessions=live_sessions,
            dry_run=dry_run,
            usage=usage,
        )
    if done is not None:
        done(len(motifs))
    return report
