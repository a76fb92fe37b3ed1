"""Reverie: agents that learn from their own sessions, in a way people can audit.

The public API. Every name is defined in the module :data:`_EXPORTS` names
and loaded on first use (PEP 562), so ``import reverie`` loads none of the
stages: ``reverie.dream`` imports what dreaming needs, when it is first read.

Functions that share their name with a stage package are exported under a
longer name, so ``reverie.render`` is always the package and never, depending
on import order, the function: ``render_rules`` (``reverie.render.prompt.render``),
``forget_sessions``, ``mine_motifs``, ``evaluate_rules`` and ``installed_adapters``.

Every workspace-level stage takes a :class:`Workspace` and a tenant first, in
that order: ``ingest_paths(ws, tenant, paths)``, ``curate(ws, tenant, now=...)``,
``review``, ``explain``, ``export``, ``forget_sessions``, ``evaluate_rules``.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # as typing.TYPE_CHECKING (type checkers take it as True), minus 7 ms
__version__ = "0.1.0"

# public name -> the module defining it ("module:attribute" when the name differs); sorted
_EXPORTS: dict[str, str] = {
    "Adapter": "reverie.adapters.base",
    "AdapterOptions": "reverie.adapters.base",
    "AuditError": "reverie.errors",
    "AuditLog": "reverie.audit.log",
    "Cause": "reverie.mine.facts",
    "ConfigError": "reverie.errors",
    "Correction": "reverie.models",
    "CurationDecision": "reverie.models",
    "Distiller": "reverie.rulebook.distill",
    "DreamPolicy": "reverie.rulebook.dream",
    "DreamReport": "reverie.rulebook.dream",
    "ErasureReport": "reverie.forget.erase",
    "EvalReport": "reverie.evaluate.run",
    "Event": "reverie.models",
    "EvidenceItem": "reverie.rulebook.distill",
    "Explanation": "reverie.rulebook.explain",
    "Failure": "reverie.models",
    "FixFacts": "reverie.mine.facts",
    "GraphStore": "reverie.store.base",
    "IngestSummary": "reverie.ingest.pipeline",
    "InputError": "reverie.errors",
    "LLMError": "reverie.errors",
    "Malformed": "reverie.models",
    "MiningResult": "reverie.mine.pipeline",
    "Motif": "reverie.models",
    "Outcome": "reverie.models",
    "ParsedSession": "reverie.models",
    "Redactor": "reverie.redact.redactor",
    "RenderResult": "reverie.render.prompt",
    "ReverieError": "reverie.errors",
    "Review": "reverie.models",
    "Rule": "reverie.rulebook.rules",
    "Session": "reverie.models",
    "Settings": "reverie.settings",
    "Signature": "reverie.models",
    "SimpleCommand": "reverie.mine.shell",
    "SourceRef": "reverie.models",
    "StageProgress": "reverie.workflow",
    "StoreError": "reverie.errors",
    "TemplateDistiller": "reverie.rulebook.distill",
    "UnknownFormatError": "reverie.errors",
    "UnsafeTemplateError": "reverie.errors",
    "Usage": "reverie.models",
    "Workspace": "reverie.workspace",
    "WorkspaceBusy": "reverie.errors",
    "WorkspaceNotFound": "reverie.errors",
    "build_facts": "reverie.mine.facts",
    "curate": "reverie.workflow",
    "destructive_reasons": "reverie.mine.destructive",
    "detect": "reverie.adapters.registry",
    "dream": "reverie.rulebook.dream",
    "evaluate_rules": "reverie.evaluate.run:evaluate",
    "explain": "reverie.rulebook.explain",
    "export": "reverie.render.export",
    "find_workspace": "reverie.settings",
    "forget_sessions": "reverie.forget.erase:forget",
    "humanize": "reverie.mine.normalize",
    "ingest_paths": "reverie.ingest.pipeline",
    "init_workspace": "reverie.workspace",
    "installed_adapters": "reverie.adapters.registry:adapters",
    "invocation": "reverie.mine.shell",
    "load_rules": "reverie.rulebook.rules",
    "load_settings": "reverie.settings",
    "mine_motifs": "reverie.mine.pipeline:mine",
    "names_a_fact": "reverie.mine.facts",
    "open_store": "reverie.store",
    "parse_shell": "reverie.mine.shell:parse",
    "render_rules": "reverie.render.prompt:render",
    "review": "reverie.rulebook.review",
    "write_rule": "reverie.rulebook.rules",
}

__all__ = [
    "Adapter",
    "AdapterOptions",
    "AuditError",
    "AuditLog",
    "Cause",
    "ConfigError",
    "Correction",
    "CurationDecision",
    "Distiller",
    "DreamPolicy",
    "DreamReport",
    "ErasureReport",
    "EvalReport",
    "Event",
    "EvidenceItem",
    "Explanation",
    "Failure",
    "FixFacts",
    "GraphStore",
    "IngestSummary",
    "InputError",
    "LLMError",
    "Malformed",
    "MiningResult",
    "Motif",
    "Outcome",
    "ParsedSession",
    "Redactor",
    "RenderResult",
    "ReverieError",
    "Review",
    "Rule",
    "Session",
    "Settings",
    "Signature",
    "SimpleCommand",
    "SourceRef",
    "StageProgress",
    "StoreError",
    "TemplateDistiller",
    "UnknownFormatError",
    "UnsafeTemplateError",
    "Usage",
    "Workspace",
    "WorkspaceBusy",
    "WorkspaceNotFound",
    "__version__",
    "build_facts",
    "curate",
    "destructive_reasons",
    "detect",
    "dream",
    "evaluate_rules",
    "explain",
    "export",
    "find_workspace",
    "forget_sessions",
    "humanize",
    "ingest_paths",
    "init_workspace",
    "installed_adapters",
    "invocation",
    "load_rules",
    "load_settings",
    "mine_motifs",
    "names_a_fact",
    "open_store",
    "parse_shell",
    "render_rules",
    "review",
    "write_rule",
]

if TYPE_CHECKING:  # what type checkers and editors see; at run time __getattr__ loads it
    from typing import Any

    from reverie.adapters.base import Adapter, AdapterOptions
    from reverie.adapters.registry import adapters as installed_adapters
    from reverie.adapters.registry import detect
    from reverie.audit.log import AuditLog
    from reverie.errors import (
        AuditError,
        ConfigError,
        InputError,
        LLMError,
        ReverieError,
        StoreError,
        UnknownFormatError,
        UnsafeTemplateError,
        WorkspaceBusy,
        WorkspaceNotFound,
    )
    from reverie.evaluate.run import EvalReport
    from reverie.evaluate.run import evaluate as evaluate_rules
    from reverie.forget.erase import ErasureReport
    from reverie.forget.erase import forget as forget_sessions
    from reverie.ingest.pipeline import IngestSummary, ingest_paths
    from reverie.mine.destructive import destructive_reasons
    from reverie.mine.facts import Cause, FixFacts, build_facts, names_a_fact
    from reverie.mine.normalize import humanize
    from reverie.mine.pipeline import MiningResult
    from reverie.mine.pipeline import mine as mine_motifs
    from reverie.mine.shell import SimpleCommand, invocation
    from reverie.mine.shell import parse as parse_shell
    from reverie.models import (
        Correction,
        CurationDecision,
        Event,
        Failure,
        Malformed,
        Motif,
        Outcome,
        ParsedSession,
        Review,
        Session,
        Signature,
        SourceRef,
        Usage,
    )
    from reverie.redact.redactor import Redactor
    from reverie.render.export import export
    from reverie.render.prompt import RenderResult
    from reverie.render.prompt import render as render_rules
    from reverie.rulebook.distill import Distiller, EvidenceItem, TemplateDistiller
    from reverie.rulebook.dream import DreamPolicy, DreamReport, dream
    from reverie.rulebook.explain import Explanation, explain
    from reverie.rulebook.review import review
    from reverie.rulebook.rules import Rule, load_rules, write_rule
    from reverie.settings import Settings, find_workspace, load_settings
    from reverie.store import open_store
    from reverie.store.base import GraphStore
    from reverie.workflow import StageProgress, curate
    from reverie.workspace import Workspace, init_workspace


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use, then keep it here."""
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'reverie' has no attribute {name!r}")
    module, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
