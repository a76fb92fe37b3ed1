"""Workspaces with rule books for tests: two tenants' mined rules, and rules written by hand.

:func:`two_tenants` ingests a generated corpus (:func:`reverie.synth.write_corpus`)
for each of the tenants ``acme`` and ``globex`` and dreams each once, as
``reverie ingest`` and ``reverie dream`` do. :func:`hand_rule` builds a rule
with every field a test does not care about filled in, and :func:`write_rules`
writes rules into the rule book through the audit log, as every command
writes them (so ``reverie audit verify`` passes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from reverie.ingest.pipeline import ingest_paths
from reverie.models import CurationDecision
from reverie.rulebook.rules import Evidence, HistoryEntry, Rule, Scope
from reverie.settings import Settings, load_settings
from reverie.synth import MOTIFS, PlantedMotif, write_corpus
from reverie.workflow import curate
from reverie.workspace import Workspace, init_workspace

__all__ = ["hand_rule", "two_tenants", "write_rules"]


def hand_rule(rule_id: str, at: datetime, **fields: Any) -> Rule:
    """A rule of tenant ``acme`` for the whole fleet and the Bash tool, changed by ``fields``."""
    base: dict[str, Any] = {
        "id": rule_id,
        "title": f"Hand-written rule {rule_id}",
        "directive": "Run `make lint` before `git push`.",
        "when": "Before pushing.",
        "because": "The lint check failed on the server.",
        "scope": Scope(tenant="acme", agents="fleet", tools=["Bash"]),
        "confidence": 0.7,
        "evidence": Evidence(sessions=["s1", "s2"], agents=["agent-0"], support=2,
                             trust_support=1.2),
        "created": at,
        "updated": at,
        "history": [HistoryEntry(action="propose", actor="test", at=at, reason="hand-written")],
    }
    return Rule.model_validate(base | fields)


def write_rules(workspace: Workspace, tenant: str, rules: list[Rule], at: datetime) -> None:
    """Write ``rules`` into the rule book with one audit entry each (action ``test.write``)."""
    decisions = [CurationDecision(action="test.write", rule_id=r.id, actor="test",
                                  reason="fixture", at=at) for r in rules]
    workspace.audit.commit(tenant, decisions, rules, workspace.rules_dir)


def two_tenants(
    root: Path,
    corpus: Path,
    at: datetime,
    *,
    acme_motifs: Sequence[PlantedMotif] | None = None,
    min_sessions: int | None = None,
) -> Settings:
    """A workspace at ``root`` (default tenant ``acme``) with ``acme`` and ``globex`` mined
    and dreamt once at ``at``; their generated sessions are written under ``corpus``."""
    write_corpus(corpus / "acme", sessions=8, steps=12, agents=2, seed=3, motif_rate=1.5,
                 motifs=MOTIFS if acme_motifs is None else tuple(acme_motifs))
    write_corpus(corpus / "globex", sessions=6, steps=12, agents=2, seed=4, motif_rate=1.5)
    init_workspace(root, tenant="acme")
    if min_sessions is not None:
        config = root / "reverie.toml"
        config.write_text(config.read_text().replace(
            "min_sessions = 3", f"min_sessions = {min_sessions}"))
    settings = load_settings(root)
    with Workspace.open(settings) as ws:
        for tenant in ("acme", "globex"):
            ingest_paths(ws, tenant, [corpus / tenant])
            curate(ws, tenant, now=at)
    return settings
