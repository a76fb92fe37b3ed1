"""Content-hash ids that name their algorithm.

An id is ``"b2:"`` followed by 32 hex digits of BLAKE2b-128 over the canonical
JSON of its parts. Children include their parent's id among the parts, so an
event id chains to its session, and a session id to its tenant.

>>> make_id("event", "b2:abc", "uuid-1") == make_id("event", "b2:abc", "uuid-1")
True
>>> make_id("event", "b2:abc", "uuid-1")[:3]
'b2:'
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

__all__ = ["content_hash", "make_id"]

PREFIX = "b2:"


def content_hash(data: bytes) -> str:
    """Hash raw bytes; the algorithm is named in the prefix."""
    return PREFIX + hashlib.blake2b(data, digest_size=16).hexdigest()


def make_id(*parts: Any) -> str:
    """Hash ``parts`` as canonical JSON (sorted keys); stable across runs and machines."""
    return content_hash(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str))
