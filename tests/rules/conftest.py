"""Fixtures for the rule book tests: motifs built by hand, workspaces, the LLM guard.

Real model calls are impossible here: every ``anthropic.Anthropic`` built while
a test runs must use a :class:`~reverie.llm_replay.ReplayTransport`, or the
test fails at once (and ``ANTHROPIC_API_KEY`` is removed by the top conftest).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anthropic
import pytest

from reverie.audit import AuditLog
from reverie.dream import DreamPolicy
from reverie.ids import make_id
from reverie.llm_replay import ReplayTransport
from reverie.models import Motif

RECORDINGS = Path(__file__).parent / "recordings"
T0 = datetime(2026, 2, 12, 14, 22, tzinfo=UTC)
FORMAT_TEMPLATE = (
    "Pre-commit validation failed:\n\n[FORMAT] Code is not formatted.\n"
    "Run '<*>' to fix.\n\nFix these issues before committing."
)


@pytest.fixture(autouse=True)
def no_real_llm_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that builds an Anthropic client without the replay transport."""
    real_init = anthropic.Anthropic.__init__

    def guarded(self: anthropic.Anthropic, *args: Any, **kwargs: Any) -> None:
        http = kwargs.get("http_client")
        if not isinstance(getattr(http, "_transport", None), ReplayTransport):
            raise AssertionError("a test built an Anthropic client without a ReplayTransport")
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(anthropic.Anthropic, "__init__", guarded)
    yield


def make_motif(
    *,
    tenant: str = "default",
    signature: str = "sig-format",
    sessions: tuple[str, ...] = ("s1", "s2"),
    agents: tuple[str, ...] = ("claude-code",),
    program: str | None = "git commit",
    tool: str | None = "Bash",
    template: str = FORMAT_TEMPLATE,
    fix: str | None = "ran `mix format` first; changed arguments",
    kind: str = "tool_error",
    last_seen: datetime = T0,
    support: int | None = None,
    mean_trust: float = 0.6,
    flags: tuple[str, ...] = (),
    score: float = 2.0,
) -> Motif:
    """A motif as mining would produce it, with one example event per session."""
    support = support if support is not None else 2 * len(sessions)
    return Motif(
        id=make_id("motif", tenant, [signature]),
        tenant=tenant,
        tool=tool,
        program=program,
        template=template,
        kind=kind,
        signature_ids=[make_id("signature", tenant, signature)],
        sessions=sorted(sessions),
        agents=sorted(agents),
        support=support,
        trust_support=round(support * mean_trust, 3),
        recovery={"fix": fix, "kind": "retry", "rate": 0.75, "consistency": 1.0} if fix else {},
        examples=[
            {
                "event_id": f"ev-{s}-{signature}",
                "failure_id": f"f-{s}",
                "session_id": s,
                "file": f"/data/{s}.jsonl",
                "line": 10 + i,
            }
            for i, s in enumerate(sorted(sessions))
        ],
        first_seen=last_seen - timedelta(days=1),
        last_seen=last_seen,
        cross_agent=len(agents) >= 2,
        score=score,
        flags=list(flags),
    )


@pytest.fixture
def rules_ws(tmp_path: Path) -> tuple[Path, AuditLog]:
    """A bare rule book folder and its audit log (no store needed)."""
    root = tmp_path / "ws"
    (root / "rules").mkdir(parents=True)
    return root / "rules", AuditLog(root / ".reverie")


@pytest.fixture
def policy() -> DreamPolicy:
    return DreamPolicy(min_sessions=2, evidence_window_days=30)


@pytest.fixture
def mk() -> Any:
    """The :func:`make_motif` factory (test modules cannot import conftest by name)."""
    return make_motif
