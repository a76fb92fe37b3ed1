"""Signature assignment from precomputed signature texts (mining's, without recomputing them).

:func:`reverie.mine.signature.assign_signatures` computes each failure's
``(error class, masked template)`` itself; evaluation assigns signatures twice
(training part, whole history) over failures whose texts
:func:`reverie.evaluate.profile.profile_store` already computed, so this
function takes them as input and otherwise does exactly the same: the same
Drain miner and threshold, the same key, the same ids (a test keeps the two
equal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reverie.ids import make_id
from reverie.mine.drain import TemplateMiner
from reverie.mine.signature import signature_text
from reverie.models import Failure, Signature

__all__ = ["assign_with_texts"]


def assign_with_texts(
    tenant: str,
    failures: Iterable[Failure],
    texts: Mapping[str, tuple[str, str]],
    threshold: float = 0.6,
) -> list[Signature]:
    """Set ``signature_id`` on every failure; return the distinct signatures."""
    miner = TemplateMiner(threshold=threshold)
    pending: list[tuple[Failure, tuple[str | None, str | None, str, str], int]] = []
    for failure in failures:
        cls, template = texts.get(failure.id) or signature_text(failure)
        key = (failure.tool, failure.program, cls, failure.kind)
        pending.append((failure, key, miner.add(key, template)))
    signatures: dict[str, Signature] = {}
    ids: dict[int, str] = {}
    for failure, key, cluster in pending:
        sid = ids.get(cluster)
        if sid is None:
            template = miner.template(cluster)
            sid = make_id("signature", tenant, *key, template)
            ids[cluster] = sid
            signatures[sid] = Signature(
                id=sid, tenant=tenant, tool=key[0], program=key[1], error_class=key[2],
                template=template,
            )
        failure.signature_id = sid
    return list(signatures.values())
