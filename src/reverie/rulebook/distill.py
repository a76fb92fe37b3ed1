"""Distillation: a motif (and its quoted evidence) to a rule's text.

Every distiller writes from the motif's fix facts
(:class:`reverie.mine.facts.FixFacts`, see :func:`motif_facts`) and shares one
interface, :class:`Distiller`:

- :class:`TemplateDistiller` (the default) works offline and deterministically:
  jinja2 templates in ``prompts/distill/`` (``title.j2``, ``directive.j2``,
  ``when.j2``, ``because.j2``) filled from the facts (:class:`OfflineContext`
  lists every variable they may use);
- :class:`reverie.rulebook.distill_llm.LLMDistiller` asks Claude through the official
  ``anthropic`` SDK, and :class:`reverie.rulebook.distill_openai.OpenAIDistiller` any
  OpenAI-compatible server through the ``openai`` SDK, for a structured answer.

Every draft then goes through :func:`draft_flags` (``needs-directive`` when
the directive names none of the observed facts or there are none: the
directive is emptied; ``destructive`` when the fix is) and
:func:`check_untrusted_copy`, which rejects a directive that copies a command
or URL found only in ``external`` evidence.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Literal, Protocol

from jinja2 import Environment, FileSystemLoader
from pydantic import BaseModel, ConfigDict, Field

from reverie.errors import ConfigError, LLMError
from reverie.mine.facts import FixFacts, build_facts, names_a_fact
from reverie.models import Motif, TrustClass
from reverie.render.templating import sandboxed_environment
from reverie.resources import data_dir
from reverie.rulebook.rules import DESTRUCTIVE, NEEDS_DIRECTIVE, LLMRecord

__all__ = [
    "Distiller",
    "EvidenceItem",
    "OfflineContext",
    "RuleDraft",
    "TemplateDistiller",
    "check_untrusted_copy",
    "prompt_dirs",
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
    flags: list[str] = Field(
        default_factory=list,
        description="needs-directive (no fix to name: directive empty), destructive (see facts).",
    )


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
    """The distill prompts' environment: sandboxed (:mod:`reverie.render.templating`), strict."""
    dirs = prompt_dirs(workspace)
    if not dirs:
        raise ConfigError("no prompts/distill/ templates found; run `reverie init` to restore them")
    env = sandboxed_environment(
        FileSystemLoader([str(d) for d in dirs]), keep_trailing_newline=False
    )
    env.filters["quoted"] = quote_evidence
    env.filters["code_list"] = code_list
    env.filters["sentence"] = sentence_part
    return env


def code_list(items: list[str], conjunction: str = "or") -> str:
    """Names as code, joined for a sentence.

    >>> code_list(["javac", "java", "mvn"]), code_list(["x"]), code_list(["a", "b"], "and")
    ('`javac`, `java` or `mvn`', '`x`', '`a` and `b`')
    """
    names = [f"`{item}`" for item in items]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def sentence_part(text: str) -> str:
    """Text to quote inside a sentence: without its own closing full stop."""
    return str(text).strip().rstrip(".").rstrip()


def quote_evidence(text: str) -> str:
    """Evidence text made inert inside an ``<evidence>`` element (no tag can be closed)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;")


_INTENTS = (
    ("deletes", "what is there should be replaced"),
    ("discards", "the changes should be thrown away"),
    ("forces", "what is there should be overwritten"),
    ("bypasses", "skipping the checks is allowed"),
    ("escalates", "running it as root is allowed"),
    ("opens permissions", "everyone may write there"),
    ("changes ownership", "the owner should change"),
)


def _intent(reasons: list[str]) -> str:
    """When a destructive fix is right, from its reasons: "only where ..." .

    >>> _intent(["deletes files (rm)"]), _intent([])
    ('what is there should be replaced', '')
    """
    found = [phrase for key, phrase in _INTENTS if any(r.startswith(key) for r in reasons)]
    return " and ".join(dict.fromkeys(found)) or ("that is intended" if reasons else "")


_VARIABLE = re.compile(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]+$")
_LABELS = {"java": "Java", "node": "Node.js", "python": "Python", "rust": "Rust", "go": "Go",
           "ruby": "Ruby", "dotnet": ".NET", "php": "PHP", "elixir": "Elixir"}


class OfflineContext(_Model):
    """Every variable the offline templates (``prompts/distill/*.j2``) may use.

    The motif's fix facts (:class:`reverie.mine.facts.FixFacts`: ``cls`` and
    the observed ``fix``, ``flag``, ``argument``, ``helper``, the user's
    ``quote``, the root cause) plus how often it happened. ``failed`` is the
    failed program (run through a shell tool: ``via_shell``) or tool; ``error``
    the failure in plain words, ``failed_with`` the same quoted for a sentence
    ("'...'", or "errors such as '...'" when it is one example of several).
    """

    cls: str
    tool: str
    failed: str
    via_shell: bool
    error: str
    failed_with: str
    fix: str | None
    flag: str | None
    flag_action: str | None
    argument: str | None
    value: str | None
    helper: str | None
    quote: str | None
    rejected: str | None
    named: bool
    fix_sessions: int
    rate: float
    sessions: int
    agents: int
    cross_agent: bool
    cause_kind: str | None
    cause_group: str | None
    cause_label: str | None
    notice: bool
    task_known: int
    task_failed: int
    tried: str | None
    cause_subjects: list[str]
    cause_commands: list[str]
    cause_variables: list[str]
    destructive: list[str]
    intent: str

    @classmethod
    def from_facts(cls, motif: Motif, facts: FixFacts) -> OfflineContext:
        cause = facts.cause
        return cls(
            cls=facts.cls,
            tool=motif.tool or "the tool",
            failed=facts.failed or motif.tool or "the tool",
            via_shell=motif.program is not None,
            error=facts.error or "the same failure",
            failed_with=("errors such as " if facts.error_example else "")
            + f"'{sentence_part(facts.error or 'the same failure')}'",
            fix=facts.fix,
            flag=facts.flag,
            flag_action=facts.flag_action,
            argument=facts.argument,
            value=facts.value,
            helper=facts.helper,
            quote=facts.quote,
            rejected=facts.rejected,
            named=facts.named,
            fix_sessions=facts.sessions,
            rate=facts.rate,
            sessions=len(motif.sessions),
            agents=len(motif.agents),
            cross_agent=motif.cross_agent,
            cause_kind=cause.kind if cause else None,
            cause_group=cause.group if cause else None,
            cause_label=_LABELS.get(cause.group, cause.group) if cause and cause.group else None,
            notice=facts.notice,
            task_known=facts.task_known,
            task_failed=facts.task_failed,
            tried=(f"changing `{facts.argument}`" if facts.argument
                   else f"`{facts.fix}`" if facts.fix else None),
            cause_subjects=cause.subjects if cause else [],
            cause_commands=[s for s in (cause.subjects if cause else []) if not _VARIABLE.match(s)],
            cause_variables=[s for s in (cause.subjects if cause else []) if _VARIABLE.match(s)],
            destructive=facts.destructive,
            intent=_intent(facts.destructive),
        )


def failure_lines(evidence: list[EvidenceItem]) -> list[str]:
    """The decisive line of each failure in the evidence, unmasked (for plain words)."""
    from reverie.mine.normalize import decisive_lines, unescape

    lines = [decisive_lines(unescape(e.text)) for e in evidence if e.role == "failure"]
    return [line for line in lines if line]


def motif_facts(motif: Motif, evidence: list[EvidenceItem] | None = None) -> FixFacts:
    """The motif's fix facts, its error in plain words from the quoted failures."""
    from reverie.mine.normalize import humanize

    if motif.facts:  # mined: the error already has the values every failure agrees on
        return FixFacts.model_validate(motif.facts)
    return build_facts(motif, error=humanize(motif.template, failure_lines(evidence or [])))




def draft_flags(directive: str, facts: FixFacts) -> list[str]:
    """``needs-directive`` when there is nothing observed to name (or the directive names
    none of it); ``destructive`` when the observed fix is."""
    flags = []
    if facts.needs_directive or not directive or not names_a_fact(directive, facts):
        flags.append(NEEDS_DIRECTIVE)
    if facts.destructive:
        flags.append(DESTRUCTIVE)
    return flags


class TemplateDistiller:
    """The offline distiller: the same motif always gives the same words."""

    name = "template"

    def __init__(self, workspace: Path | None = None):
        self.env = template_env(workspace)

    def _render(self, name: str, ctx: OfflineContext) -> str:
        text = self.env.get_template(f"distill/{name}.j2").render(**ctx.model_dump())
        return " ".join(text.split())

    def distill(self, motif: Motif, evidence: list[EvidenceItem]) -> RuleDraft:
        facts = motif_facts(motif, evidence)
        ctx = OfflineContext.from_facts(motif, facts)
        directive = self._render("directive", ctx)
        flags = draft_flags(directive, facts)
        draft = RuleDraft(
            title=self._render("title", ctx)[:120],
            directive="" if NEEDS_DIRECTIVE in flags else directive,
            when=self._render("when", ctx),
            because=self._render("because", ctx),
            tools=[motif.tool] if motif.tool else [],
            distiller=self.name,
            flags=flags,
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
