"""Reverie's exceptions: one tree, so callers can catch exactly what they mean.

::

    ReverieError                  root of everything Reverie raises on purpose
    ├── InputError                bad input from a user: a transcript, rule file or mapping
    │   │                         (names the file, the line and what is wrong)
    │   └── UnknownFormatError    no adapter recognised a file (lists the formats tried)
    ├── ConfigError               reverie.toml, workspace layout or CLI options are wrong
    │   ├── WorkspaceNotFound     no reverie.toml here or above (says how to make one)
    │   └── UnsafeTemplateError   a prompt template did what the sandbox forbids (names it)
    ├── StoreError                the graph store failed (disk, lock, server, schema)
    ├── LLMError                  the language-model distiller failed or answered badly
    ├── AuditError                the audit log is broken (an edit, deletion or reordering)
    └── WorkspaceBusy             another command held the workspace lock past the timeout

Caller misuse (``ValueError``/``TypeError`` from plain Python) is not wrapped:
those are bugs in the calling code, not conditions to handle.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AuditError",
    "ConfigError",
    "InputError",
    "LLMError",
    "ReverieError",
    "StoreError",
    "UnknownFormatError",
    "UnsafeTemplateError",
    "WorkspaceBusy",
    "WorkspaceNotFound",
]


class ReverieError(Exception):
    """Root of every error Reverie raises on purpose."""


class InputError(ReverieError):
    """Bad input: names the file, the line (when known) and what is wrong."""

    def __init__(self, reason: str, file: str | Path | None = None, line: int | None = None):
        self.reason = reason
        self.file = str(file) if file is not None else None
        self.line = line
        where = ""
        if self.file is not None:
            where = self.file if line is None else f"{self.file}:{line}"
            where += ": "
        super().__init__(f"{where}{reason}")


class UnknownFormatError(InputError):
    """No adapter recognised a file; ``tried`` lists the formats that were tried."""

    def __init__(self, reason: str, file: str | Path | None = None, tried: list[str] | None = None):
        self.tried = list(tried or [])
        if self.tried:
            reason = f"{reason} (tried: {', '.join(self.tried)})"
        super().__init__(reason, file)


class ConfigError(ReverieError):
    """The configuration or the command line is wrong; the message says how to fix it."""


class WorkspaceNotFound(ConfigError):
    """No ``reverie.toml`` in the folder or any folder above it."""


class UnsafeTemplateError(ConfigError):
    """A jinja2 template reached for something the sandbox forbids (``file`` names it).

    Templates render in jinja2's immutable sandbox: no private attributes, no
    Python internals, no mutation. Such a template is broken or hostile.
    """

    def __init__(self, reason: str, file: str | Path | None = None):
        self.file = str(file) if file is not None else None
        super().__init__(f"{self.file or '<template>'}: {reason}")


class StoreError(ReverieError):
    """The graph store could not do what was asked (disk, lock, server, schema)."""


class LLMError(ReverieError):
    """The language-model distiller failed, or its answer did not validate."""


class AuditError(ReverieError):
    """The audit log does not verify: an entry was edited, deleted or reordered."""


class WorkspaceBusy(ReverieError):
    """Another command held the workspace lock for longer than the timeout (names it)."""
