"""Corpora the benchmarks ingest: generated ones and the real Claude Code sessions replicated.

``replicate_real(into, lines)`` copies every ``.jsonl`` of
``../shared/data/real/claude_code`` (main sessions and their
``<session>/subagents/`` files) as many times as it takes to reach about
``lines`` lines. Each copy gets its own UUIDs (every UUID in the text, the
session folder names included, mapped through ``uuid5(copy, uuid)``), so the
copies are distinct sessions and events, as a fleet's real logs are, with the
real lines' shapes, sizes and texts.

``floor(folder)`` is the single-core parse+hash floor of a corpus: every line
read, parsed with the standard library's ``json`` and hashed with BLAKE2b.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from pathlib import Path

REAL_CLAUDE = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "claude_code"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def replicate_real(into: Path, lines: int, source: Path = REAL_CLAUDE) -> dict[str, int]:
    """Copies of the real Claude Code files under ``into`` up to about ``lines`` lines."""
    files = sorted(p for p in source.rglob("*.jsonl"))
    texts = {p.relative_to(source): p.read_text(encoding="utf-8") for p in files}
    per_copy = sum(t.count("\n") for t in texts.values())
    copies = max(1, -(-lines // per_copy))
    for copy in range(copies):
        space = uuid.UUID(int=copy + 1)
        memo: dict[str, str] = {}

        def fresh(match: re.Match[str], space: uuid.UUID = space,
                  memo: dict[str, str] = memo) -> str:
            old = match.group(0)
            if old not in memo:
                memo[old] = str(uuid.uuid5(space, old))
            return memo[old]

        for rel, text in texts.items():
            target = into / f"copy-{copy:04d}" / _UUID.sub(fresh, str(rel))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_UUID.sub(fresh, text), encoding="utf-8")
    return {"copies": copies, "files": copies * len(files), "lines": copies * per_copy}


def floor(folder: Path) -> dict[str, float]:
    """Single-core seconds to read, ``json.loads`` and BLAKE2b-hash every line under ``folder``."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    count = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    json.loads(line)
                    hashlib.blake2b(line, digest_size=16).digest()
                    count += 1
    return {"lines": count, "seconds": round(time.perf_counter() - wall0, 2),
            "cpu_seconds": round(time.process_time() - cpu0, 2)}
