"""Distillation: a motif (and its quoted evidence) to a rule's text.

Two distillers share one interface, :class:`Distiller`:

- :class:`TemplateDistiller` (the default) works offline and deterministically:
  jinja2 templates in ``prompts/distill/`` (``title.j2``, ``directive.j2``,
  ``when.j2``, ``because.j2``) filled from the motif's program, error and
  recovery (:class:`OfflineContext` lists every variable they may use).
- :class:`reverie.distill_llm.LLMDistiller` asks Claude through the official
  ``anthropic`` SDK for a structured answer (see that module).

Both pass their draft through :func:`check_untrusted_copy`, which rejects a
directive that copies a command or URL found only in ``external`` evidence.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any, Literal, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import ConfigError, LLMError
from reverie.models import Motif, TrustClass
from reverie.resources import data_dir
from reverie.rulebook import LLMRecord

__all__ = [
    "Distiller",
    "EvidenceItem",
    "OfflineContext",
    "RuleDraft",
    "TemplateDistiller",
    "check_untrusted_copy",
    "prompt_dirs",
    "recovery_fields",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvidenceItem(_Model):
    """One piece of evidence as the distiller sees it: quoted text with its trust class."""

    role: Literal["failure", "correction", "context"]
    trust: TrustClass
    text: str
    file: str | None = None
    line: int | None = None
    event_id: str | None = None
    flags: list[str] = Field(default_factory=list)


class RuleDraft(_Model):
    """A distiller's answer: the rule's words, before the dream gives it an id and status."""

    title: str
    directive: str
    when: str
    because: str
    tools: list[str] = Field(default_factory=list)
    distiller: str
    llm: LLMRecord | None = None


class Distiller(Protocol):
    name: str

    def distill(self, motif: Motif, evidence: list[EvidenceItem]) -> RuleDraft: ...


def prompt_dirs(workspace: Path | None = None) -> list[Path]:
    """Where prompt templates are looked up: the workspace's ``prompts/``, then the defaults."""
    candidates = [Path(workspace) / "prompts"] if workspace is not None else []
    with contextlib.suppress(FileNotFoundError):
        candidates.append(data_dir("prompts"))
    return [c for c in candidates if (c / "distill").is_dir()]


def template_env(workspace: Path | None = None) -> Environment:
    dirs = prompt_dirs(workspace)
    if not dirs:
        raise ConfigError("no prompts/distill/ templates found; run `reverie init` to restore them")
    env = Environment(
        loader=FileSystemLoader([str(d) for d in dirs]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )
    env.filters["quoted"] = quote_evidence
    return env


def quote_evidence(text: str) -> str:
    """Evidence text made inert inside an ``<evidence>`` element (no tag can be closed)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;")


def recovery_fields(recovery: dict[str, Any]) -> dict[str, Any]:
    """The recovery parts the templates use, from mining's ``Motif.recovery`` dict.

    Mining's ``fix`` reads like "ran `mix format` first; changed arguments",
    "added `--set-upstream`", "used `Glob` instead" or the user's words.

    >>> recovery_fields({"fix": "ran `mix format` first; changed arguments", "kind": "retry",
    ...                  "rate": 0.5})["command"]
    'mix format'
    """
    summary = next((str(recovery[k]) for k in ("fix", "summary", "text") if recovery.get(k)), "")
    ran_first = re.findall(r"ran `([^`]+)` first", summary)
    instead = re.search(r"used `([^`]+)` instead", summary)
    rate = recovery.get("rate", recovery.get("consistency"))
    first_sentence = re.split(r"(?<=[.!?])\s+", summary.strip(), maxsplit=1)[0]
    return {
        "kind": str(recovery.get("kind") or ""),
        "command": ran_first[-1] if ran_first else None,
        "instead": instead.group(1) if instead else None,
        "summary": _one_line(first_sentence.rstrip(".!?").replace('"', "'"), 160),
        "rate": float(rate) if isinstance(rate, int | float) else None,
    }


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def error_line(template: str) -> str:
    """The decisive line of a failure template: the first that reads like an error."""
    lines = [ln.strip(" :\t") for ln in template.splitlines() if ln.strip(" :\t")]
    pick = next((ln for ln in lines if re.search(_ERRORISH, ln, re.I)), lines[0] if lines else "")
    pick = re.split(r"(?<=[.!?])\s+(?=[A-Z])", pick, maxsplit=1)[0].replace('"', "'")
    return _one_line(pick, 120) if pick else "the same failure"


_ERRORISH = r"error|fail|denied|not found|invalid|cannot|refused|timeout"


class OfflineContext(_Model):
    """Every variable the offline templates (``prompts/distill/*.j2``) may use."""

    tool: str
    program: str | None
    error: str
    error_kind: str
    recovery_kind: str
    recovery_command: str | None
    recovery_instead: str | None
    recovery_summary: str
    recovery_rate: float | None
    sessions: int
    agents: int
    cross_agent: bool

    @classmethod
    def from_motif(cls, motif: Motif) -> OfflineContext:
        rec = recovery_fields(motif.recovery)
        return cls(
            tool=motif.tool or "the tool",
            program=motif.program,
            error=error_line(motif.template),
            error_kind=motif.kind,
            recovery_kind=rec["kind"],
            recovery_command=rec["command"],
            recovery_instead=rec["instead"],
            recovery_summary=rec["summary"],
            recovery_rate=rec["rate"],
            sessions=len(motif.sessions),
            agents=len(motif.agents),
            cross_agent=motif.cross_agent,
        )


class TemplateDistiller:
    """The offline distiller: the same motif always gives the same words."""

    name = "template"

    def __init__(self, workspace: Path | None = None):
        self.env = template_env(workspace)

    def _render(self, name: str, ctx: OfflineContext) -> str:
        text = self.env.get_template(f"distill/{name}.j2").render(**ctx.model_dump())
        return " ".join(text.split())

    def distill(self, motif: Motif, evidence: list[EvidenceItem]) -> RuleDraft:
        ctx = OfflineContext.from_motif(motif)
        draft = RuleDraft(
            title=self._render("title", ctx)[:120],
            directive=self._render("directive", ctx),
            when=self._render("when", ctx),
            because=self._render("because", ctx),
            tools=[motif.tool] if motif.tool else [],
            distiller=self.name,
        )
        check_untrusted_copy(draft.directive, evidence)
        return draft


_URL = re.compile(r"https?://[^\s`'\")<>]+")
_CODE = re.compile(r"`([^`\n]{3,})`")
_SHELL = re.compile(r"^\s*(?:\$|>|#)\s*(\S.{2,})$", re.MULTILINE)


def _candidates(text: str) -> set[str]:
    found = {m.group(0).rstrip(".,;") for m in _URL.finditer(text)}
    found |= {m.group(1).strip() for m in _CODE.finditer(text)}
    found |= {m.group(1).strip() for m in _SHELL.finditer(text)}
    return {c for c in found if len(c) >= 4}


def check_untrusted_copy(directive: str, evidence: list[EvidenceItem]) -> None:
    """Raise LLMError if the directive copies a command or URL seen only in external evidence."""
    external = "\n".join(e.text for e in evidence if e.trust == "external").lower()
    if not external:
        return
    trusted = "\n".join(e.text for e in evidence if e.trust != "external").lower()
    low = directive.lower()
    for cand in sorted(_candidates(directive) | _candidates(external)):
        c = cand.lower()
        if c in low and c in external and c not in trusted:
            raise LLMError(
                f"directive copies {cand!r}, which appears only in external (untrusted) "
                "evidence; it is not turned into a rule"
            )
