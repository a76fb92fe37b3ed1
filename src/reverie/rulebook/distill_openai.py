"""The OpenAI-compatible distiller: any chat-completions server through the official ``openai`` SDK.

``base_url`` points the SDK at OpenAI itself or at a local server (Ollama
``http://127.0.0.1:11434/v1``, vLLM ``http://127.0.0.1:8000/v1``, llama.cpp's
``llama-server`` ``http://127.0.0.1:8080/v1``). The prompt, the facts check
(``needs-directive``), the cache and the answer model are those of every LLM
distiller (:class:`reverie.rulebook.distill_llm.BaseLLMDistiller`).

The answer comes through one function tool, ``propose_rule``, whose
parameters are :class:`~reverie.rulebook.distill_llm.RuleAnswer`'s JSON schema, forced
with a named ``tool_choice``. Function tools are what these servers support
most widely (vLLM forces a named tool choice by guided decoding; Ollama and
llama.cpp accept ``tools``), whereas ``response_format`` with a JSON schema
is missing or differently enforced on several of them. A server that ignores
the forced choice and answers with the JSON object as the message's text is
accepted too; anything else is an :class:`~reverie.errors.LLMError`.

The key is read when the client is built, from the environment variable
named by ``[distill] api_key_env`` (default ``OPENAI_API_KEY``); with
``api_key_env = ""`` no key is read and no ``Authorization`` header is sent.
"""

from __future__ import annotations

import os
import re
from typing import Any

import orjson

from reverie.errors import ConfigError, LLMError
from reverie.ids import make_id
from reverie.models import Motif
from reverie.rulebook.distill import EvidenceItem
from reverie.rulebook.distill_llm import (
    TOOL_DESCRIPTION,
    TOOL_NAME,
    BaseLLMDistiller,
    answer_schema,
)
from reverie.settings import Settings

try:
    import openai
    from openai import _base_client
    from openai._types import Omit  # ``openai.Omit`` only in later 1.x releases
except ImportError as exc:  # pragma: no cover - the extra is part of the dev install
    raise ConfigError(
        "the OpenAI-compatible distiller needs the openai SDK: pip install 'reverie[llm]'"
    ) from exc

__all__ = ["NO_KEY", "OpenAIDistiller", "openai_client"]

# The HTTP package the installed SDK is built on (``httpx2`` from openai 3.x, else ``httpx``).
http: Any = vars(_base_client).get("httpx2") or vars(_base_client)["httpx"]

NO_KEY = "reverie-no-key"
"""Stands in for the key the SDK insists on when none is configured; never sent."""

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def openai_client(
    *,
    base_url: str | None = None,
    api_key_env: str = "OPENAI_API_KEY",
    transport: Any = None,
    max_retries: int = 2,
) -> openai.OpenAI:
    """Build the official client for ``base_url``; the key comes from ``$api_key_env``.

    ``api_key_env=""``: a server that needs no key (the request carries no
    ``Authorization`` header). ``transport``: an ``httpx`` transport (tests
    pass a :class:`~reverie.testing.llm_replay.ReplayTransport`).
    """
    key = None
    if api_key_env:
        key = os.environ.get(api_key_env)
        if not key:
            raise ConfigError(
                f"the OpenAI-compatible distiller needs an API key: set {api_key_env}, or set "
                '[distill] api_key_env = "" in reverie.toml for a server that needs no key'
            )
    client = http.Client(transport=transport) if transport is not None else None
    return openai.OpenAI(
        api_key=key or NO_KEY, base_url=base_url, http_client=client, max_retries=max_retries
    )


class OpenAIDistiller(BaseLLMDistiller):
    """Ask an OpenAI-compatible model for the rule's words; validated, cached, costed."""

    provider = "openai"
    cache_scope = "distill-openai"

    @classmethod
    def from_settings(cls, settings: Settings, transport: Any = None) -> OpenAIDistiller:
        """The distiller ``[distill]`` configures (``base_url``, ``model``, ``api_key_env``)."""
        conf = settings.distill
        client = openai_client(
            base_url=conf.base_url,
            api_key_env=conf.api_key_env,
            transport=transport,
            max_retries=0 if transport is not None else 2,
        )
        return cls(
            client,
            cache_dir=settings.state_dir / "llm_cache",
            model=conf.model,
            workspace=settings.root,
            max_tokens=conf.max_tokens,
        )

    def build_request(self, motif: Motif, evidence: list[EvidenceItem]) -> dict[str, Any]:
        """The chat-completions request: one forced function tool, facts and evidence as data."""
        system, user = self.prompt(motif, evidence)
        function = {
            "name": TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            "parameters": answer_schema(),
        }
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "tools": [
                {"type": "function", "function": {**function, "parameters": answer_schema()}}
            ],
            "tool_choice": {"type": "function", "function": {"name": TOOL_NAME}},
        }

    def cache_key(self, request: dict[str, Any]) -> str:
        """The request's hash, with the server: one model name on two servers is two models."""
        return make_id(self.cache_scope, str(self.client.base_url), request)

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": Omit()} if self.client.api_key == NO_KEY else None
        try:
            completion = self.client.chat.completions.create(**request, extra_headers=headers)
        except openai.APIError as exc:
            cause = f" ({exc.__cause__})" if exc.__cause__ else ""
            raise LLMError(f"the OpenAI-compatible API call failed: {exc}{cause}") from exc
        if not completion.choices:
            raise LLMError("the model returned no choices; no rule was written")
        usage = completion.usage
        return {
            "answer": _answer(completion.choices[0].message),
            "model": completion.model or self.model,
            "input_tokens": usage.prompt_tokens if usage else 0,
            "output_tokens": usage.completion_tokens if usage else 0,
        }


def _answer(message: Any) -> dict[str, Any]:
    """The ``propose_rule`` arguments, or the JSON object the message's text holds."""
    call = next(
        (
            c
            for c in message.tool_calls or []
            if getattr(getattr(c, "function", None), "name", None) == TOOL_NAME
        ),
        None,
    )
    if call is not None:
        raw, where = call.function.arguments, f"{TOOL_NAME}'s arguments"
    elif message.content and message.content.strip().startswith(("{", "```")):
        fenced = _FENCE.match(message.content)
        raw, where = fenced.group(1) if fenced else message.content, "the message's text"
    else:
        raise LLMError(f"the model did not call {TOOL_NAME}; no rule was written")
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise LLMError(f"the model's answer is not JSON ({where}): {exc}") from exc
    if not isinstance(answer, dict):
        raise LLMError(f"the model's answer is not a JSON object ({where})")
    return answer
