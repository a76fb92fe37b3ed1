"""Reverie: agents that learn from their own sessions, in a way people can audit.

The public API; everything here is re-exported from the module that owns it.
"""

from reverie.adapters import Adapter, AdapterOptions, adapters, detect
from reverie.audit import AuditLog
from reverie.distill import TemplateDistiller
from reverie.dream import DreamPolicy, DreamReport, dream
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
from reverie.explain import Explanation, explain
from reverie.export import export
from reverie.forget import ErasureReport, forget
from reverie.ingest import IngestSummary, ingest_paths
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
from reverie.provenance import link_session
from reverie.redact import Redactor
from reverie.render import RenderResult, render
from reverie.review import review
from reverie.rulebook import Rule, load_rules, write_rule
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
