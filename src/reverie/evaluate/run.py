"""``reverie eval`` as a library call: held-out metrics, drift and before/after in one report.

:func:`evaluate` reads the store (never writes it), in this order:

1. profile every session once (:func:`~reverie.evaluate.profile.profile_store`);
2. split the sessions (:func:`~reverie.evaluate.split.split_sessions`), mine
   and dream on the training part in scratch space
   (:func:`~reverie.evaluate.training.train_rules`), and measure the rules it
   gives on the held-out part; a training rule counts as approved when the
   policy approved it or it targets the same failures as a rule approved in
   the workspace's rule book;
3. drift: the workspace's active rules (or, when it has none, the training
   rules) measured per time window over the whole history;
4. before/after: the rules of the latest render record (or, with an explicit
   date, the workspace's approved rules, else its active ones) before and
   after the deployment date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from reverie.epoch import from_ms
from reverie.errors import ConfigError
from reverie.evaluate.beforeafter import BeforeAfter, before_after
from reverie.evaluate.drift import Drift, drift
from reverie.evaluate.matching import Matcher, RuleTarget, TemplateIndex, targets_for
from reverie.evaluate.metrics import Metrics, score_sessions, summarize
from reverie.evaluate.profile import Corpus, FailureRecord, profile_store
from reverie.evaluate.signatures import assign_with_texts
from reverie.evaluate.split import SessionKey, split_sessions
from reverie.evaluate.training import Training, train_rules
from reverie.render.records import RenderLog
from reverie.rulebook.rules import Rule, load_rules
from reverie.settings import Settings

if TYPE_CHECKING:
    from reverie.workspace import Workspace

__all__ = ["EvalReport", "evaluate"]

Progress = Callable[[int], None]
ACTIVE = ("proposed", "approved", "quarantined")


class EvalReport(BaseModel):
    """Everything ``reverie eval`` reports (``--json`` prints it as is)."""

    model_config = ConfigDict(extra="forbid")

    tenant: str
    split: dict[str, object]
    training: dict[str, object]
    heldout: Metrics
    drift: Drift | None = None
    before_after: BeforeAfter | None = None
    notes: list[str] = Field(default_factory=list)


def _train(workspace: Workspace, corpus: Corpus, train: set[str]) -> Training:
    failures = [f for f in corpus.failures if f.session_id in train]
    ids = {f.id for f in failures}
    corrections = [c for c in corpus.corrections if c.failure_id in ids]
    failed = {
        sid: None if corpus.sessions[sid].success is None else not corpus.sessions[sid].success
        for sid in train
    }
    last = max((p.end or p.start or 0 for sid, p in corpus.sessions.items() if sid in train),
               default=0)
    return train_rules(workspace, corpus.tenant, failures, corrections, corpus.fix_ms,
                       failed, train, now=from_ms(last) if last else None, texts=corpus.texts)


def _heldout_recurring(training: Training, corpus: Corpus, heldout: list[str]
                       ) -> Callable[[FailureRecord], bool]:
    """Seen in training (any signature) or in two held-out sessions or more."""
    index = TemplateIndex(training.signatures.values())
    seen: dict[tuple[object, str], set[str]] = defaultdict(set)
    for rec in corpus.records(heldout):
        seen[(rec.key, rec.template)].add(rec.failure.session_id)
    return lambda rec: bool(index.find(rec.key, rec.template)) or len(
        seen[(rec.key, rec.template)]) >= 2


def _workspace_rules(workspace: Workspace, tenant: str) -> list[Rule]:
    return [r for r in load_rules(workspace.rules_dir, tenant) if not r.seeded]


def _deployment(
    settings: Settings, tenant: str, deployed_at: datetime | None, rules: list[Rule]
) -> tuple[datetime, list[str], str] | None:
    """The deployment date, its rule ids and where they came from (or None: no deployment)."""
    if deployed_at is not None:
        approved = [r.id for r in rules if r.status == "approved"]
        if approved:
            return deployed_at, approved, "--deployed-at; the approved rules of the rule book"
        active = [r.id for r in rules if r.status in ACTIVE]
        return deployed_at, active, "--deployed-at; no approved rules, so every active rule"
    records = list(RenderLog(settings.state_dir).records(tenant))
    if not records:
        return None
    last = max(records, key=lambda r: r.at)
    ids = [r.id for r in last.rules if not r.seeded]
    return last.at, ids, f"render record {last.hash[:15]} ({last.template})"


def evaluate(
    workspace: Workspace,
    tenant: str,
    *,
    split: str = "time",
    holdout: float = 0.3,
    seed: int = 0,
    window_ms: int = 7 * 86_400_000,
    deployed_at: datetime | None = None,
    progress: Progress | None = None,
) -> EvalReport:
    """Evaluate ``tenant``'s rules (see the module docstring); reads, never writes, the store.

    The workspace's rule book gives the rules measured for drift and
    before/after; its render records give the deployment date.
    """
    store, settings = workspace.store, workspace.settings
    sessions = store.sessions(tenant)
    if not sessions:
        raise ConfigError(f"tenant {tenant!r} has no sessions; run `reverie ingest` first")
    corpus = profile_store(store, tenant, sessions, store.outcomes(tenant),
                           progress)
    keys = [SessionKey(id=p.id, agent=p.agent, start=p.start, order=p.order)
            for p in corpus.sessions.values()]
    sp = split_sessions(keys, split, holdout, seed)
    notes: list[str] = []
    training = _train(workspace, corpus, set(sp.train))
    # signatures over every session: the workspace's mining ids, for its own rules
    everything = {s.id: s for s in assign_with_texts(tenant, corpus.failures, corpus.texts)}
    for rec in corpus.records():
        rec.sig = rec.failure.signature_id
    ws_rules = _workspace_rules(workspace, tenant)
    ws_matcher = Matcher(targets_for(ws_rules, everything), everything)
    approved_ws = {t.id for t in ws_matcher.targets if t.approved}
    carried = [
        r.id for r in training.rules
        if any(ws_matcher.rules_for_signature(training.signatures[s]) & approved_ws
               for s in r.evidence.signature_ids if s in training.signatures)
    ]
    train_targets = targets_for(training.rules, training.signatures, approved=carried)
    held = [corpus.sessions[sid] for sid in sp.heldout]
    for rec in corpus.records(sp.heldout):
        rec.sig = None  # held-out failures are matched by template only, never by id
    held_scores = score_sessions(held, Matcher(train_targets, training.signatures),
                                 _heldout_recurring(training, corpus, sp.heldout))
    for rec in corpus.records(sp.heldout):
        rec.sig = rec.failure.signature_id
    report = EvalReport(
        tenant=tenant,
        split=sp.summary(),
        training={
            "sessions": len(sp.train),
            "motifs": len(training.motifs),
            "rules": len(training.rules),
            "rules_by_status": dict(Counter(r.status for r in training.rules)),
            "approved_in_workspace": carried,
        },
        heldout=summarize(held_scores, train_targets),
        notes=notes,
    )
    _history(report, corpus, ws_rules, everything, training, train_targets, window_ms,
             settings, deployed_at, seed)
    return report


def _history(report: EvalReport, corpus: Corpus, ws_rules: list[Rule], everything: dict,
             training: Training, train_targets: list[RuleTarget], window_ms: int,
             settings: Settings, deployed_at: datetime | None, seed: int) -> None:
    """Drift and before/after over the whole history (adds to ``report``)."""
    sessions_of: dict[str | None, set[str]] = defaultdict(set)
    for rec in corpus.records():
        sessions_of[rec.sig].add(rec.failure.session_id)

    def recurring(rec: FailureRecord) -> bool:
        return len(sessions_of[rec.sig]) >= 2

    active = [r for r in ws_rules if r.status in ACTIVE]
    signatures = {**training.signatures, **everything}
    if active:
        targets, source = targets_for(active, everything), "the workspace's rule book"
    else:
        targets, source = train_targets, "the rules dreamed from the training part"
        report.notes.append("the rule book has no active rules: drift uses the training rules")
    scores = score_sessions(corpus.sessions.values(), Matcher(targets, signatures), recurring)
    report.drift = drift(scores, targets, window_ms, source)
    if report.drift.undated:
        report.notes.append(f"{report.drift.undated} sessions have no timestamps: they are left "
                            "out of drift and before/after")
    deployment = _deployment(settings, report.tenant, deployed_at, ws_rules)
    if deployment is None:
        report.notes.append("no deployment date (no render record and no --deployed-at): "
                            "no before/after comparison")
        return
    at, ids, why = deployment
    chosen = [r for r in ws_rules if r.id in set(ids)]
    if not chosen:
        report.notes.append(f"the deployment ({why}) has no rules of this rule book to measure")
        return
    dep = targets_for(chosen, everything, approved=[r.id for r in chosen])
    dep_scores = score_sessions(corpus.sessions.values(), Matcher(dep, everything), recurring)
    report.before_after = before_after(dep_scores, at, [r.id for r in chosen], why, seed=seed)
