"""A workspace: making one (:func:`init_workspace`) and using one (:class:`Workspace`).

On disk a workspace is ``reverie.toml``, ``graph/``, ``rules/``, ``prompts/``
and ``.reverie/``; a new one starts with the seeded rules (known good
practices) in ``rules/``.

In the library a workspace is one object, :class:`Workspace`: its settings,
its store (opened on first use, closed with the workspace), its rule book
and its audit log. Every workspace-level stage takes ``(workspace, tenant,
...)``, in that order, with the tenant always given (``workspace.tenant`` is
the default one): :func:`~reverie.ingest.pipeline.ingest_paths`,
:func:`~reverie.workflow.curate`, :func:`~reverie.rulebook.review.review`,
:func:`~reverie.rulebook.explain.explain`,
:func:`~reverie.render.records.render_workspace`,
:func:`~reverie.render.records.render_and_record`,
:func:`~reverie.render.export.export`, :func:`~reverie.forget.erase.forget`,
:func:`~reverie.evaluate.run.evaluate` and
:func:`~reverie.evaluate.training.train_rules`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from reverie.audit.log import AuditLog
from reverie.errors import ConfigError
from reverie.resources import data_dir
from reverie.rulebook.rules import load_rule
from reverie.settings import CONFIG_NAME, Settings, load_settings

if TYPE_CHECKING:
    from reverie.store.base import GraphStore

__all__ = ["DEFAULT_CONFIG", "Workspace", "init_workspace"]


DEFAULT_CONFIG = """\
# Reverie workspace settings. Credentials never go here: the Bolt store reads
# REVERIE_NEO4J_USER / REVERIE_NEO4J_PASSWORD and the LLM distiller
# ANTHROPIC_API_KEY from the environment.
tenant = "{tenant}"

[store]
kind = "embedded"            # or "neo4j" (set uri and database)
path = ".reverie/reverie.db"

[mine]
min_sessions = 3             # a motif recurs in at least this many sessions
min_agents = 2               # ... and is cross-agent from this many agents

[trust]                      # weights of evidence by where it came from
operator = 1.0
user = 0.8
tool = 0.6
agent = 0.4
external = 0.1

[dream]
evidence_window_days = 30    # propose retirement after this long without evidence
auto_approve = false         # an explicit policy; low-trust rules are never auto-approved

[lock]
timeout = 60                 # seconds to wait for another command (REVERIE_LOCK_TIMEOUT)
"""


def init_workspace(root: Path, tenant: str = "default", force: bool = False) -> Settings:
    """Create a workspace at ``root`` (kept as is where it exists, unless ``force``)."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_NAME
    if config.exists() and not force:
        raise ConfigError(f"{config} already exists; use --force to rewrite it")
    config.write_text(DEFAULT_CONFIG.format(tenant=tenant), encoding="utf-8")
    for name in ("graph", "prompts"):
        target = root / name
        if not target.exists():
            shutil.copytree(data_dir(name), target)
    rules = root / "rules"
    if not rules.exists():
        rules.mkdir()
        for path in sorted(data_dir("rules").glob("R-*.md")):
            if load_rule(path).seeded:
                shutil.copy2(path, rules / path.name)
    state = root / ".reverie"
    state.mkdir(exist_ok=True)
    (state / ".gitignore").write_text("*\n", encoding="utf-8")
    return load_settings(root)


class Workspace:
    """One workspace as the library uses it: settings, store, rule book and audit log.

    ``store`` is opened on first use (the registered store ``[store] kind``
    names) and closed by :meth:`close` or at the end of a ``with`` block; a
    store passed in is the caller's and stays open. ``rules_dir`` and
    ``audit`` default to the workspace's own (``rules/``, ``.reverie/``);
    :meth:`scratch` gives a workspace that reads the same store but keeps its
    rule book and audit log elsewhere. :meth:`locked` waits up to ``[lock]
    timeout`` (or ``REVERIE_LOCK_TIMEOUT``) and calls ``on_wait`` with whom it
    waits for (the CLI prints it).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with Workspace.open(init_workspace(Path(tmp) / "ws", tenant="acme")) as ws:
    ...         (ws.tenant, ws.rules_dir.name, ws.store.stats("acme").sessions)
    ('acme', 'rules', 0)
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: GraphStore | None = None,
        rules_dir: Path | None = None,
        audit: AuditLog | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.rules_dir = Path(rules_dir) if rules_dir is not None else settings.rules_dir
        self.audit = audit if audit is not None else AuditLog(settings.state_dir)
        self._store = store
        self._owns_store = store is None
        self._on_wait = on_wait

    @classmethod
    def open(
        cls, where: Path | str | Settings, *, store: GraphStore | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> Workspace:
        """The workspace at ``where`` (a folder holding ``reverie.toml``, or its settings)."""
        settings = where if isinstance(where, Settings) else load_settings(Path(where))
        return cls(settings, store=store, on_wait=on_wait)

    @property
    def root(self) -> Path:
        return self.settings.root

    @property
    def tenant(self) -> str:
        """The default tenant (``tenant`` in ``reverie.toml``)."""
        return self.settings.tenant

    @property
    def store(self) -> GraphStore:
        """The workspace's store, opened on first use."""
        if self._store is None:
            from reverie.store import open_store  # the store stack loads only when used

            self._store = open_store(self.settings)
        return self._store

    def locked(self, command: str) -> AbstractContextManager[object]:
        """Hold the workspace lock for ``command`` (re-entrant within the process)."""
        from reverie.audit.lock import timeout_from

        timeout = timeout_from(self.settings.lock.timeout, os.environ)
        return self.audit.locked(command, timeout=timeout, on_wait=self._on_wait)

    def scratch(self, folder: Path) -> Workspace:
        """This workspace's settings and store, with a rule book and audit log under ``folder``."""
        return Workspace(
            self.settings,
            store=self.store,
            rules_dir=Path(folder) / "rules",
            audit=AuditLog(Path(folder) / "state"),
        )

    def close(self) -> None:
        """Close the store if this workspace opened it (a store passed in stays open)."""
        if self._owns_store and self._store is not None:
            store, self._store = self._store, None
            store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
