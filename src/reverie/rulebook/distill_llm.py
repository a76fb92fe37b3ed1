"""LLM distillers: a model writes the rule's words from the motif's fix facts and evidence.

:class:`LLMDistiller` asks Claude through the official ``anthropic`` SDK;
:class:`reverie.rulebook.distill_openai.OpenAIDistiller` asks any OpenAI-compatible
server. Both share :class:`BaseLLMDistiller`: the request is built from two
templates in ``prompts/distill/``, ``system.j2`` (the instructions; the only
place instructions come from) and ``evidence.j2`` (the motif's observed fix
facts as JSON inside ``<facts>``, the user's words and the evidence, each
quoted inside an ``<evidence trust="...">`` element as data). The answer is
forced through one tool (``propose_rule``) whose input schema is
:class:`RuleAnswer`, and is validated by pydantic.

A directive that names none of the observed facts
(:func:`reverie.mine.facts.names_a_fact`), or any directive for a motif of
class ``none``, is emptied and the draft flagged ``needs-directive``: a
reviewer writes it. Answers are cached under ``.reverie/llm_cache/`` by the
content hash of the request, so the same motif and evidence never cost twice;
the tokens and cost are recorded on the rule (:class:`~reverie.rulebook.rules.LLMRecord`).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reverie.errors import ConfigError, LLMError
from reverie.ids import make_id
from reverie.mine.facts import Cause, FixFacts
from reverie.models import Motif
from reverie.rulebook.distill import (
    EvidenceItem,
    RuleDraft,
    check_untrusted_copy,
    draft_flags,
    motif_facts,
    template_env,
)
from reverie.rulebook.rules import NEEDS_DIRECTIVE, LLMRecord, check_directive_form

try:
    import anthropic

    from reverie.testing.llm_replay import http
except ImportError as exc:  # pragma: no cover - the extra is part of the dev install
    raise ConfigError(
        f"the LLM distiller needs the {exc.name} SDK: pip install 'reverie[llm]'"
    ) from exc

__all__ = [
    "DEFAULT_MODEL",
    "PRICES",
    "BaseLLMDistiller",
    "LLMDistiller",
    "PromptContext",
    "RuleAnswer",
    "answer_schema",
    "anthropic_client",
    "cost_usd",
    "facts_json",
    "facts_of",
    "settle_directive",
]

DEFAULT_MODEL = "claude-sonnet-4-6"
TOOL_NAME = "propose_rule"
TOOL_DESCRIPTION = "Propose the rule distilled from the motif's facts and evidence."
MAX_EVIDENCE = 8
MAX_EVIDENCE_CHARS = 1500
# USD per million input / output tokens, matched by model-name prefix (first match wins).
# A model missing here is costed at 0.0: check the provider's price list and add it.
PRICES: dict[str, tuple[float, float]] = {
    "claude-opus-4-0": (15.0, 75.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4-5": (5.0, 25.0),
    "claude-sonnet-": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-haiku-4": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
}


class RuleAnswer(BaseModel):
    """The structured answer the model must give (the ``propose_rule`` tool's input)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, max_length=120, description="Short name of the rule.")
    directive: str = Field(
        max_length=400,
        description=(
            "One imperative sentence naming the observed fix; empty when the facts' class is none."
        ),
    )
    when: str = Field(min_length=3, description="The situation in which the rule applies.")
    because: str = Field(min_length=3, description="The failure it prevents, in plain words.")

    @field_validator("directive")
    @classmethod
    def _directive(cls, value: str) -> str:
        value = value.strip()
        if value and len(value) < 5:
            raise ValueError("must be at least 5 characters, or empty")
        return check_directive_form(value) if value else ""

    @field_validator("title", "when", "because")
    @classmethod
    def _flat(cls, value: str) -> str:
        return " ".join(value.split())


def facts_of(motif: Motif) -> FixFacts:
    """The facts the model receives: the motif's fix facts, as every distiller reads them
    (:func:`reverie.rulebook.distill.motif_facts`), with the motif's own ``cause`` when the facts
    carry none.

    >>> from reverie.models import Motif
    >>> m = Motif(id="m", tenant="t", tool="Bash", program="javac", template="x", kind="k",
    ...           signature_ids=[], sessions=[], agents=[], support=0, trust_support=0.0,
    ...           cause={"kind": "missing_toolchain", "group": "java", "subjects": ["javac"]})
    >>> f = facts_of(m)
    >>> f.cls, f.cause.group
    ('environment', 'java')
    """
    try:
        facts = motif_facts(motif)
    except ValidationError as exc:
        raise LLMError(f"motif {motif.id}: its fix facts do not validate: {exc}") from exc
    if facts.cause is None and motif.cause:
        facts = facts.model_copy(update={"cause": Cause.model_validate(motif.cause)})
    return facts


def facts_json(facts: FixFacts) -> str:
    """The facts the model receives, as JSON (the user's words go as evidence, not here).

    ``cls`` is named ``class``, unset values are left out, and ``<`` is escaped
    (``\\u003c``) so the data cannot close its ``<facts>`` element.

    >>> print(facts_json(FixFacts(cls="ran_first", failed="docker push", fix="docker login")))
    {
      "class": "ran_first",
      "failed": "docker push",
      "error": "",
      "error_example": false,
      "fix": "docker login",
      "named": false,
      "sessions": 0,
      "of": 0,
      "rate": 0.0,
      "verified": false,
      "destructive": [],
      "notice": false,
      "task_known": 0,
      "task_failed": 0
    }
    """
    data = facts.model_dump(mode="json", exclude={"quote", "quote_ref"}, exclude_none=True)
    data = {"class": data.pop("cls"), **data}
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode().replace("<", "\\u003c")


def settle_directive(directive: str, facts: FixFacts) -> tuple[str, list[str]]:
    """The directive a draft keeps and its flags (:func:`reverie.rulebook.distill.draft_flags`).

    A directive that names none of the facts, or any for class ``none``, is
    emptied and flagged ``needs-directive``; a destructive fix adds ``destructive``.

    >>> f = FixFacts(cls="ran_first", failed="docker push", fix="docker login")
    >>> settle_directive("Run `docker login` before `docker push`.", f)
    ('Run `docker login` before `docker push`.', [])
    >>> settle_directive("Check the preconditions of `docker push`.", f)
    ('', ['needs-directive'])
    >>> settle_directive("Run `docker login` first.", FixFacts(fix="docker login"))
    ('', ['needs-directive'])
    >>> settle_directive("Run `rm -rf _build` before `mix test`.", FixFacts(
    ...     cls="ran_first", failed="mix test", fix="rm -rf _build", destructive=["deletes files"]))
    ('Run `rm -rf _build` before `mix test`.', ['destructive'])
    """
    flags = draft_flags(directive, facts)
    return ("" if NEEDS_DIRECTIVE in flags else directive), flags


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    """The price of one call, from :data:`PRICES` (0.0 for a model not in the table)."""
    price = next((p for prefix, p in PRICES.items() if model.startswith(prefix)), (0.0, 0.0))
    return round((input_tokens * price[0] + output_tokens * price[1]) / 1_000_000, 6)


def answer_schema() -> dict[str, Any]:
    """The JSON schema of :class:`RuleAnswer`, as the answer tool's parameters."""
    schema = RuleAnswer.model_json_schema()
    schema.pop("title", None)
    return schema


class PromptContext(BaseModel):
    """Every variable ``evidence.j2`` may use (``system.j2`` uses ``tool_name`` only)."""

    model_config = ConfigDict(extra="forbid")

    motif: Motif
    facts: FixFacts
    facts_json: str
    evidence: list[EvidenceItem]


class BaseLLMDistiller(ABC):
    """What every LLM distiller shares: the prompt, the cache, validation, the facts check.

    A provider implements :meth:`build_request` (its API's request from
    :meth:`prompt` and :func:`answer_schema`) and :meth:`_call` (one API call,
    returning ``answer``, ``model``, ``input_tokens`` and ``output_tokens``).
    """

    provider: str = ""
    cache_scope: str = "distill-llm"

    def __init__(
        self,
        client: Any,
        *,
        cache_dir: Path,
        model: str = DEFAULT_MODEL,
        workspace: Path | None = None,
        max_tokens: int = 1024,
    ):
        self.client = client
        self.model = model
        self.cache_dir = Path(cache_dir)
        self.max_tokens = max_tokens
        self.env = template_env(workspace)
        self.name = f"{self.provider}:{model}"

    def prompt(self, motif: Motif, evidence: list[EvidenceItem]) -> tuple[str, str]:
        """The system prompt and the user message: facts and evidence quoted as data."""
        items = [
            e.model_copy(update={"text": e.text[:MAX_EVIDENCE_CHARS]})
            for e in evidence[:MAX_EVIDENCE]
        ]
        facts = facts_of(motif)
        ctx = PromptContext(motif=motif, facts=facts, facts_json=facts_json(facts), evidence=items)
        system = self.env.get_template("distill/system.j2").render(tool_name=TOOL_NAME)
        user = self.env.get_template("distill/evidence.j2").render(**dict(ctx))
        return system.strip(), user.strip()

    @abstractmethod
    def build_request(self, motif: Motif, evidence: list[EvidenceItem]) -> dict[str, Any]: ...

    @abstractmethod
    def _call(self, request: dict[str, Any]) -> dict[str, Any]: ...

    def cache_key(self, request: dict[str, Any]) -> str:
        return make_id(self.cache_scope, request)

    def _cache_path(self, key: str) -> Path:
        return self.cache_dir / f"{key.split(':', 1)[1]}.json"

    def distill(self, motif: Motif, evidence: list[EvidenceItem]) -> RuleDraft:
        request = self.build_request(motif, evidence)
        key = self.cache_key(request)
        path = self._cache_path(key)
        fresh = not path.exists()
        record = self._call(request) if fresh else orjson.loads(path.read_bytes())
        try:
            answer = RuleAnswer.model_validate(record["answer"])
        except ValidationError as exc:
            raise LLMError(f"the model's answer did not validate: {exc}") from exc
        check_untrusted_copy(answer.directive, evidence)
        if fresh:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(orjson.dumps(record, option=orjson.OPT_SORT_KEYS))
        directive, flags = settle_directive(answer.directive, facts_of(motif))
        llm = LLMRecord(
            model=record["model"],
            input_tokens=record["input_tokens"],
            output_tokens=record["output_tokens"],
            cost_usd=cost_usd(record["model"], record["input_tokens"], record["output_tokens"]),
            cache_key=key,
        )
        return RuleDraft(
            **answer.model_dump(exclude={"directive"}),
            directive=directive,
            flags=flags,
            tools=[motif.tool] if motif.tool else [],
            distiller=self.name,
            llm=llm,
        )


def anthropic_client(transport: Any = None, api_key: str | None = None) -> anthropic.Anthropic:
    """Build the official client; the key comes from ``api_key`` or ``ANTHROPIC_API_KEY``."""
    key = api_key or os.environ.get("ANTHROPIC_API_KEY")
    if not key:
        raise ConfigError(
            "the LLM distiller needs an Anthropic API key: set ANTHROPIC_API_KEY "
            '(or pass api_key=...), or set [distill] provider = "template" in reverie.toml'
        )
    client = http.Client(transport=transport) if transport is not None else None
    return anthropic.Anthropic(api_key=key, http_client=client, max_retries=2)


class LLMDistiller(BaseLLMDistiller):
    """Ask Claude for the rule's words; validated, cached, costed."""

    provider = "anthropic"

    def build_request(self, motif: Motif, evidence: list[EvidenceItem]) -> dict[str, Any]:
        """The Messages API request: system prompt from prompts/, facts and evidence as data."""
        system, user = self.prompt(motif, evidence)
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": system,
            "tools": [
                {
                    "name": TOOL_NAME,
                    "description": TOOL_DESCRIPTION,
                    "input_schema": answer_schema(),
                }
            ],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
            "messages": [{"role": "user", "content": user}],
        }

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            message = self.client.messages.create(**request)
        except anthropic.APIError as exc:
            cause = f" ({exc.__cause__})" if exc.__cause__ else ""
            raise LLMError(f"the Anthropic API call failed: {exc}{cause}") from exc
        block = next(
            (b for b in message.content if b.type == "tool_use" and b.name == TOOL_NAME), None
        )
        if block is None:
            raise LLMError(f"the model did not call {TOOL_NAME}; no rule was written")
        return {
            "answer": dict(block.input),
            "model": message.model,
            "input_tokens": message.usage.input_tokens,
            "output_tokens": message.usage.output_tokens,
        }
