"""Making a workspace: ``reverie.toml``, ``graph/``, ``rules/``, ``prompts/``, ``.reverie/``.

A new workspace starts with the seeded rules (known good practices) in ``rules/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from reverie.errors import ConfigError
from reverie.resources import data_dir
from reverie.rulebook.rules import load_rule
from reverie.settings import CONFIG_NAME, Settings, load_settings

__all__ = ["DEFAULT_CONFIG", "init_workspace"]

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
