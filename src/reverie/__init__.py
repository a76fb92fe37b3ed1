"""Reverie: agents that learn from their own sessions, in a way people can audit.

The public API; everything here is re-exported from the module that owns it.
"""

from reverie.adapters import Adapter, AdapterOptions, adapters, detect
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
from reverie.evaluate import EvalReport, evaluate
from reverie.forget.erase import ErasureReport, forget
from reverie.ingest.pipeline import IngestSummary, ingest_paths
from reverie.ingest.provenance import link_session
from reverie.mine import MiningResult, mine
from reverie.mine.destructive import destructive_reasons
from reverie.mine.facts import Cause, FixFacts, build_facts, names_a_fact
from reverie.mine.normalize import humanize
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
from reverie.render.prompt import RenderResult, render
from reverie.rulebook.distill import TemplateDistiller
from reverie.rulebook.dream import DreamPolicy, DreamReport, dream
from reverie.rulebook.explain import Explanation, explain
from reverie.rulebook.review import review
from reverie.rulebook.rules import Rule, load_rules, write_rule
from reverie.settings import Settings, find_workspace, load_settings
from reverie.store import GraphStore, open_store
from reverie.workspace import init_workspace

__version__ = "0.1.0"

__all__ = [
    "Adapter",
    "AdapterOptions",
    "AuditError",
    "AuditLog",
    "Cause",
    "ConfigError",
    "Correction",
    "CurationDecision",
    "DreamPolicy",
    "DreamReport",
    "ErasureReport",
    "EvalReport",
    "Event",
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
    "StoreError",
    "TemplateDistiller",
    "UnknownFormatError",
    "UnsafeTemplateError",
    "Usage",
    "WorkspaceBusy",
    "WorkspaceNotFound",
    "__version__",
    "adapters",
    "build_facts",
    "destructive_reasons",
    "detect",
    "dream",
    "evaluate",
    "explain",
    "export",
    "find_workspace",
    "forget",
    "humanize",
    "ingest_paths",
    "init_workspace",
    "invocation",
    "link_session",
    "load_rules",
    "load_settings",
    "mine",
    "names_a_fact",
    "open_store",
    "parse_shell",
    "render",
    "review",
    "write_rule",
]
