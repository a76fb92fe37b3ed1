"""Signature assignment from precomputed signature texts (mining's, without recomputing them).

Evaluation assigns signatures twice (training part, whole history) over
failures whose texts :func:`reverie.evaluate.profile.profile_store` already
computed; it calls mining's own :func:`reverie.mine.signature.assign_signatures`
with those texts, so the miner, threshold, keys and ids are mining's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reverie.mine.signature import assign_signatures
from reverie.models import Failure, Signature

__all__ = ["assign_with_texts"]


def assign_with_texts(
    tenant: str,
    failures: Iterable[Failure],
    texts: Mapping[str, tuple[str, str]],
    threshold: float = 0.6,
) -> list[Signature]:
    """Set ``signature_id`` on every failure; return the distinct signatures."""
    return assign_signatures(tenant, failures, threshold, texts)
