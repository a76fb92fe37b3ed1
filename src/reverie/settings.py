"""Workspace settings: ``reverie.toml`` loaded through pydantic, resolved once.

The CLI (and the web app) call :func:`load_settings` once at the entry and pass
the :class:`Settings` down; library code never reads the file or the
environment on its own. Credentials never live in the file: they come from
the environment (``REVERIE_NEO4J_*``, ``ANTHROPIC_API_KEY``, or the variable
``[distill] api_key_env`` names) when an object that needs them is built.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from reverie.errors import ConfigError, WorkspaceNotFound
from reverie.names import check_tenant

__all__ = [
    "CONFIG_NAME",
    "DistillSettings",
    "DreamSettings",
    "LockSettings",
    "MineSettings",
    "RedactSettings",
    "RenderSettings",
    "ReviewSettings",
    "Settings",
    "StoreSettings",
    "TrustSettings",
    "find_workspace",
    "load_settings",
]

CONFIG_NAME = "reverie.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Section):
    kind: str = Field(
        default="embedded",
        description="A registered store (an entry point of group reverie.stores: embedded, "
        "neo4j, or a plugin's); checked when the store is opened.",
    )
    path: str = ".reverie/reverie.db"
    uri: str | None = Field(default=None, description="Bolt URI, e.g. neo4j://host:7687")
    database: str | None = None
    database_per_tenant: bool = False


class MineSettings(_Section):
    min_sessions: int = Field(default=3, ge=1)
    min_agents: int = Field(default=2, ge=1)


class TrustSettings(_Section):
    operator: float = 1.0
    user: float = 0.8
    tool: float = 0.6
    agent: float = 0.4
    external: float = 0.1
    quarantine_below: float = Field(
        default=0.5, description="Quarantine a motif whose clean, non-external share is below this."
    )

    def weight(self, trust: str) -> float:
        return float(getattr(self, trust))


class RedactSettings(_Section):
    enabled: bool = True
    disabled_classes: list[str] = Field(default_factory=list)
    extra_patterns: dict[str, str] = Field(
        default_factory=dict, description="Class name -> regular expression."
    )
    key_file: str = ".reverie/redact.key"


class DreamSettings(_Section):
    evidence_window_days: int = Field(default=30, ge=1)
    auto_approve: bool = False
    auto_approve_confidence: float = 0.8
    auto_approve_trust: float = 0.5
    usage_window_days: int = Field(
        default=30, ge=1,
        description="reverie mcp: an approved rule no agent retrieved in this many days (while "
        "others were) is flagged unused; feedback is counted over the same window.",
    )
    usage_min_feedback: int = Field(
        default=3, ge=1,
        description="reverie mcp: feedback reports a rule needs before most of them being "
        "unhelpful sends it back to review.",
    )


class DistillSettings(_Section):
    """Which distiller writes a rule's words (``mode`` is the old name of ``provider``)."""

    provider: Literal["template", "anthropic", "openai"] = Field(
        default="template",
        validation_alias=AliasChoices("provider", "mode"),
        description=(
            "template: jinja2 templates, offline; anthropic: Claude via the SDK "
            "(ANTHROPIC_API_KEY); openai: an OpenAI-compatible server at base_url."
        ),
    )
    model: str = Field(
        default="claude-sonnet-4-6", description="The model; required for provider openai."
    )
    max_tokens: int = Field(default=1024, ge=64)
    base_url: str | None = Field(
        default=None,
        description="openai: the server, e.g. http://127.0.0.1:11434/v1 (Ollama); none: OpenAI.",
    )
    api_key_env: str = Field(
        default="OPENAI_API_KEY",
        description='openai: the NAME of the variable holding the key; "" for a server without.',
    )

    @field_validator("provider", mode="before")
    @classmethod
    def _old_mode(cls, value: object) -> object:
        return "template" if value == "offline" else value

    @model_validator(mode="after")
    def _openai_model(self) -> DistillSettings:
        if self.provider == "openai" and "model" not in self.model_fields_set:
            raise ValueError('provider "openai" needs a model: set [distill] model = "..."')
        return self


class LockSettings(_Section):
    """The workspace lock that commands writing rules or the audit log take (``[lock]``)."""

    timeout: float = Field(
        default=60.0,
        ge=0,
        description="Seconds a command waits for the lock; REVERIE_LOCK_TIMEOUT overrides it.",
    )


class ReviewSettings(_Section):
    reviewer: str | None = None


class RenderSettings(_Section):
    explain_url: str | None = Field(
        default=None, description="URL pattern for a rule's evidence page, with {id}."
    )
    default_budget: int | None = None


class Settings(_Section):
    """Everything ``reverie.toml`` may hold; ``root`` is the workspace folder."""

    root: Path
    tenant: str = Field(default="default", description="Tenant name (see reverie.names).")
    store: StoreSettings = Field(default_factory=StoreSettings)
    mine: MineSettings = Field(default_factory=MineSettings)
    trust: TrustSettings = Field(default_factory=TrustSettings)
    redact: RedactSettings = Field(default_factory=RedactSettings)
    dream: DreamSettings = Field(default_factory=DreamSettings)
    distill: DistillSettings = Field(default_factory=DistillSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    lock: LockSettings = Field(default_factory=LockSettings)
    render: RenderSettings = Field(default_factory=RenderSettings)

    _tenant = field_validator("tenant")(check_tenant)

    @property
    def state_dir(self) -> Path:
        return self.root / ".reverie"

    @property
    def rules_dir(self) -> Path:
        return self.root / "rules"

    @property
    def prompts_dir(self) -> Path:
        return self.root / "prompts"

    @property
    def graph_dir(self) -> Path:
        return self.root / "graph"

    @property
    def db_path(self) -> Path:
        return self.root / self.store.path


def find_workspace(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds ``reverie.toml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise WorkspaceNotFound(
        f"no {CONFIG_NAME} in {start} or any folder above it; "
        f"make a workspace with `reverie init DIR` or pass --workspace DIR"
    )


def load_settings(root: Path) -> Settings:
    """Read ``root/reverie.toml``; errors name the file, the field and the fix."""
    path = root / CONFIG_NAME
    if not path.is_file():
        raise WorkspaceNotFound(
            f"{root} is not a Reverie workspace (no {CONFIG_NAME}); run `reverie init {root}`"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Settings(root=root.resolve(), **data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
