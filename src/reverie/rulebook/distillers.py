"""The distiller a workspace's settings ask for (``[distill] provider``).

``reverie dream``, ``reverie forget`` and ``reverie watch`` build their
distiller here, once, at the command's entry: offline templates by default,
Claude (``anthropic``) or an OpenAI-compatible server (``openai``) when
configured. The provider's SDK is imported only when it is chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reverie.rulebook.distill import Distiller
    from reverie.settings import Settings

__all__ = ["make_distiller"]


def make_distiller(settings: Settings) -> Distiller:
    """The ``[distill] provider``: offline templates, Claude, or an OpenAI-compatible server."""
    if settings.distill.provider == "openai":
        from reverie.rulebook.distill_openai import OpenAIDistiller

        return OpenAIDistiller.from_settings(settings)
    if settings.distill.provider == "anthropic":
        from reverie.rulebook.distill_llm import LLMDistiller, anthropic_client

        return LLMDistiller(
            anthropic_client(),
            cache_dir=settings.state_dir / "llm_cache",
            model=settings.distill.model,
            workspace=settings.root,
            max_tokens=settings.distill.max_tokens,
        )
    from reverie.rulebook.distill import TemplateDistiller

    return TemplateDistiller(settings.root)
