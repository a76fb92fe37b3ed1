"""The LLM distiller: Claude writes the rule's words through the official ``anthropic`` SDK.

The request is built from two templates in ``prompts/distill/``: ``system.j2``
(the instructions; the only place instructions come from) and ``evidence.j2``
(the motif's scores and its evidence, each piece quoted inside an
``<evidence trust="...">`` element as data). The answer is forced through one
tool (``propose_rule``) whose input schema is :class:`RuleAnswer`, and is
validated by pydantic. Answers are cached under ``.reverie/llm_cache/`` by the
content hash of the request, so the same motif and evidence never cost twice;
the tokens and cost are recorded on the rule (:class:`~reverie.rulebook.LLMRecord`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anthropic
import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reverie.distill import (
    EvidenceItem,
    RuleDraft,
    check_untrusted_copy,
    recovery_fields,
    template_env,
)
from reverie.errors import ConfigError, LLMError
from reverie.ids import make_id
from reverie.llm_replay import http
from reverie.models import Motif
from reverie.rulebook import LLMRecord, check_directive_form

__all__ = ["DEFAULT_MODEL", "PRICES", "LLMDistiller", "RuleAnswer", "anthropic_client", "cost_usd"]

DEFAULT_MODEL = "claude-sonnet-4-6"
TOOL_NAME = "propose_rule"
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
        min_length=5, max_length=400, description="One imperative sentence: what to do or avoid."
    )
    when: str = Field(min_length=3, description="The situation in which the rule applies.")
    because: str = Field(min_length=3, description="The failure it prevents, in plain words.")

    @field_validator("directive")
    @classmethod
    def _directive(cls, value: str) -> str:
        return check_directive_form(value)

    @field_validator("title", "when", "because")
    @classmethod
    def _flat(cls, value: str) -> str:
        return " ".join(value.split())


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    """The price of one call, from :data:`PRICES` (0.0 for a model not in the table)."""
    price = next((p for prefix, p in PRICES.items() if model.startswith(prefix)), (0.0, 0.0))
    return round((input_tokens * price[0] + output_tokens * price[1]) / 1_000_000, 6)


def anthropic_client(
    transport: Any = None, api_key: str | None = None
) -> anthropic.Anthropic:
    """Build the official client; the key comes from ``api_key`` or ``ANTHROPIC_API_KEY``."""
    key = api_key or os.environ.get("ANTHROPIC_API_KEY")
    if not key:
        raise ConfigError(
            "the LLM distiller needs an Anthropic API key: set ANTHROPIC_API_KEY "
            '(or pass api_key=...), or set [distill] mode = "offline" in reverie.toml'
        )
    client = http.Client(transport=transport) if transport is not None else None
    return anthropic.Anthropic(api_key=key, http_client=client, max_retries=2)


class LLMDistiller:
    """Ask Claude for the rule's words; validated, cached, costed."""

    def __init__(
        self,
        client: anthropic.Anthropic,
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
        self.name = f"anthropic:{model}"

    def build_request(self, motif: Motif, evidence: list[EvidenceItem]) -> dict[str, Any]:
        """The Messages API request: system prompt from prompts/, evidence quoted as data."""
        items = [
            e.model_copy(update={"text": e.text[:MAX_EVIDENCE_CHARS]})
            for e in evidence[:MAX_EVIDENCE]
        ]
        system = self.env.get_template("distill/system.j2").render(tool_name=TOOL_NAME).strip()
        user = (
            self.env.get_template("distill/evidence.j2")
            .render(motif=motif, recovery=recovery_fields(motif.recovery), evidence=items)
            .strip()
        )
        schema = RuleAnswer.model_json_schema()
        schema.pop("title", None)
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": system,
            "tools": [
                {
                    "name": TOOL_NAME,
                    "description": "Propose the rule distilled from the motif's evidence.",
                    "input_schema": schema,
                }
            ],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
            "messages": [{"role": "user", "content": user}],
        }

    def _cache_path(self, key: str) -> Path:
        return self.cache_dir / f"{key.split(':', 1)[1]}.json"

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

    def distill(self, motif: Motif, evidence: list[EvidenceItem]) -> RuleDraft:
        request = self.build_request(motif, evidence)
        key = make_id("distill-llm", request)
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
        llm = LLMRecord(
            model=record["model"],
            input_tokens=record["input_tokens"],
            output_tokens=record["output_tokens"],
            cost_usd=cost_usd(record["model"], record["input_tokens"], record["output_tokens"]),
            cache_key=key,
        )
        return RuleDraft(
            **answer.model_dump(),
            tools=[motif.tool] if motif.tool else [],
            distiller=self.name,
            llm=llm,
        )
