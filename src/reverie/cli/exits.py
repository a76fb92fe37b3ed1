"""Exit codes of every command, and the one place where an error is printed.

Commands raise; they do not print errors or choose exit codes for them. The
root group (:mod:`reverie.cli.root`) runs every command inside
:func:`error_boundary`, which prints ``error: MESSAGE`` once on stderr and
exits with the code :data:`EXIT_CODES` gives the exception's class:

====  =====================================================================
code  meaning
====  =====================================================================
0     done
1     the command ran and found a problem: the audit log does not verify
      (``AuditError``), the language model failed (``LLMError``), or another
      ``ReverieError``; also the findings a command documents (ingest set
      lines or files aside, ``redact --check`` found values, ``migrate``
      counts differ, ``forget`` left erased text behind)
2     the command could not do what was asked: a bad option or argument, a
      missing or malformed input (a path, a rule id, a transcript, a
      template: ``InputError``), the configuration or workspace
      (``ConfigError``, ``WorkspaceNotFound``, ``UnsafeTemplateError``), the
      store (``StoreError``), the workspace lock held past its timeout
      (``WorkspaceBusy``), a missing optional extra (``pip install
      'reverie[EXTRA]'``)
====  =====================================================================

Any other exception is a bug: it is not caught, and Python prints its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.markup import escape

from reverie.cli.common import err_console
from reverie.errors import (
    AuditError,
    ConfigError,
    InputError,
    LLMError,
    ReverieError,
    StoreError,
    WorkspaceBusy,
)

__all__ = ["EPILOG", "EXIT_CODES", "EXTRAS", "error_boundary", "exit_code", "missing_extra"]

# First match wins (subclasses before their parents).
EXIT_CODES: tuple[tuple[type[ReverieError], int], ...] = (
    (InputError, 2),
    (ConfigError, 2),
    (StoreError, 2),
    (WorkspaceBusy, 2),
    (AuditError, 1),
    (LLMError, 1),
    (ReverieError, 1),
)

# Top-level package -> (the extra that installs it, what it is).
EXTRAS: dict[str, tuple[str, str]] = {
    "neo4j": ("neo4j", "the Neo4j driver"),
    "anthropic": ("llm", "the Anthropic SDK"),
    "openai": ("llm", "the OpenAI SDK"),
    "httpx": ("llm", "httpx"),
    "matplotlib": ("plot", "matplotlib"),
    "starlette": ("web", "Starlette"),
    "uvicorn": ("web", "uvicorn"),
    "python_multipart": ("web", "python-multipart"),
    "mcp": ("mcp", "the MCP SDK"),
}

# `reverie --help` shows this under the commands ([ is escaped: the text is rich markup).
EPILOG = """Exit codes (every command):
0  done
1  the command ran and found a problem: the audit log does not verify,
   the language model failed; or a finding the command documents (ingest
   set lines aside, redact --check found values, migrate counts differ)
2  the command could not do what was asked: a bad option; a missing or
   malformed path, rule id, transcript or template; the configuration,
   workspace or store; the lock held past its timeout; a missing extra
   (pip install 'reverie\\[EXTRA]')"""


def exit_code(exc: ReverieError) -> int:
    """The exit code for ``exc``, from :data:`EXIT_CODES`."""
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """What to install when ``exc`` is a missing optional extra's package; else None."""
    found = EXTRAS.get((exc.name or "").partition(".")[0])
    if found is None:
        return None
    extra, what = found
    return f"this needs {what}, which is not installed: pip install 'reverie[{extra}]'"


def report(message: str) -> None:
    """Print ``error: MESSAGE`` on stderr: the message escaped once, shown as written."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


@contextmanager
def error_boundary() -> Iterator[None]:
    """Turn a ``ReverieError`` (or a missing extra) into its message and exit code."""
    try:
        yield
    except ReverieError as exc:
        report(str(exc))
        raise typer.Exit(exit_code(exc)) from exc
    except ModuleNotFoundError as exc:
        message = missing_extra(exc)
        if message is None:
            raise
        report(message)
        raise typer.Exit(2) from exc
