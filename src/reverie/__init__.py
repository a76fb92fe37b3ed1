"""Reverie: agents that learn from their own sessions, in a way people can audit.

The public API; everything here is re-exported from the module that owns it.
"""

from reverie.adapters import Adapter, AdapterOptions, adapters, detect
from reverie.errors import (
    AuditError,
    ConfigError,
    InputError,
    LLMError,
    ReverieError,
    StoreError,
    UnknownFormatError,
    WorkspaceNotFound,
)
from reverie.ingest import IngestSummary, ingest_paths
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
from reverie.settings import Settings, find_workspace, load_settings
from reverie.store import GraphStore, open_store
from reverie.workspace import init_workspace

__version__ = "0.1.0"

__all__ = [
    "Adapter",
    "AdapterOptions",
    "AuditError",
    "ConfigError",
    "Correction",
    "CurationDecision",
    "Event",
    "Failure",
    "GraphStore",
    "IngestSummary",
    "InputError",
    "LLMError",
    "Malformed",
    "Motif",
    "Outcome",
    "ParsedSession",
    "ReverieError",
    "Review",
    "Session",
    "Settings",
    "Signature",
    "SourceRef",
    "StoreError",
    "UnknownFormatError",
    "Usage",
    "WorkspaceNotFound",
    "__version__",
    "adapters",
    "detect",
    "find_workspace",
    "ingest_paths",
    "init_workspace",
    "link_session",
    "load_settings",
    "open_store",
]
