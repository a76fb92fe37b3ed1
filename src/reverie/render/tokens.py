"""Token counts for rendered prompts: a local estimate, or exact counts from Anthropic.

:class:`LocalCounter` estimates without any network or tokenizer: a word of
up to seven characters is one token, a longer word one token per six
characters (rounded up), every other non-space character one token. It is a
rough, deterministic estimate for budgeting; exact counts need the API.

:class:`AnthropicCounter` asks the token-counting endpoint
(``client.messages.count_tokens``) for the exact count of the text sent as one
user message; the count includes the few tokens of message framing. It is used
when a key is configured (:func:`counter_for`); tests give it the real client
over a :class:`~reverie.testing.llm_replay.ReplayTransport`.

>>> LocalCounter().count("Run the formatter before committing.")
8
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, Protocol

from reverie.errors import LLMError

__all__ = ["AnthropicCounter", "LocalCounter", "TokenCounter", "counter_for", "estimate_tokens"]

_PIECES = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def estimate_tokens(text: str) -> int:
    """The local estimate of ``text``'s token count (see the module docstring)."""
    total = 0
    for piece in _PIECES.findall(text):
        if piece[0].isalnum() or piece[0] == "_":
            total += 1 if len(piece) <= 7 else math.ceil(len(piece) / 6)
        else:
            total += 1
    return total


class TokenCounter(Protocol):
    """Anything that counts the tokens of a text; ``name`` says how (shown to users)."""

    name: str

    def count(self, text: str) -> int: ...


class LocalCounter:
    """The offline estimate: no key, no network, deterministic."""

    name = "local estimate"

    def count(self, text: str) -> int:
        return estimate_tokens(text)


class AnthropicCounter:
    """Exact counts from the Messages token-counting API for ``model``."""

    def __init__(self, client: Any, model: str):
        self.client = client
        self.model = model
        self.name = f"anthropic count_tokens ({model})"
        self._cache: dict[str, int] = {}

    def count(self, text: str) -> int:
        if text not in self._cache:
            try:
                result = self.client.messages.count_tokens(
                    model=self.model, messages=[{"role": "user", "content": text}]
                )
            except Exception as exc:  # the SDK's errors and transport errors alike
                raise LLMError(f"token counting failed ({type(exc).__name__}: {exc})") from exc
            self._cache[text] = int(result.input_tokens)
        return self._cache[text]


def counter_for(model: str, api_key: str | None = None, exact: bool = True) -> TokenCounter:
    """Exact counts when ``exact`` and a key is given or in ``ANTHROPIC_API_KEY``; else local.

    Called once at a command's entry; library code takes the counter as an argument.
    """
    key = api_key or os.environ.get("ANTHROPIC_API_KEY")
    if not exact or not key:
        return LocalCounter()
    from reverie.rulebook.distill_llm import anthropic_client

    return AnthropicCounter(anthropic_client(api_key=key), model)
