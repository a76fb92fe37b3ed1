"""Fixtures for the rule book tests: motifs built by hand, workspaces, the LLM guard.

Real model calls are impossible here: every ``anthropic.Anthropic`` and
``openai.OpenAI`` built while a test runs must use a
:class:`~reverie.testing.llm_replay.ReplayTransport`, or the test fails at once (and
``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` are removed
by the top conftest).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from reverie.audit.log import AuditLog
from reverie.ids import make_id
from reverie.mine.facts import USER_KINDS
from reverie.mine.fixes import choose_basis
from reverie.models import Motif
from reverie.rulebook.distill import EvidenceItem
from reverie.rulebook.dream import DreamPolicy
from reverie.testing.llm_replay import ReplayTransport

RECORDINGS = Path(__file__).parent / "recordings"
T0 = datetime(2026, 2, 12, 14, 22, tzinfo=UTC)
FORMAT_TEMPLATE = (
    "Pre-commit validation failed:\n\n[FORMAT] Code is not formatted.\n"
    "Run '<*>' to fix.\n\nFix these issues before committing."
)


@pytest.fixture(autouse=True)
def no_real_llm_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that builds an Anthropic or OpenAI client without the replay transport."""
    for cls in (anthropic.Anthropic, openai.OpenAI):
        monkeypatch.setattr(cls, "__init__", _guarded(cls.__name__, cls.__init__))
    yield


def _guarded(name: str, real_init: Any) -> Any:
    def guarded(self: Any, *args: Any, **kwargs: Any) -> None:
        http = kwargs.get("http_client")
        if not isinstance(getattr(http, "_transport", None), ReplayTransport):
            raise AssertionError(f"a test built an {name} client without a ReplayTransport")
        real_init(self, *args, **kwargs)

    return guarded


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
    fix_sessions: tuple[str, ...] | None = None,
    kind: str = "tool_error",
    last_seen: datetime = T0,
    support: int | None = None,
    mean_trust: float = 0.6,
    flags: tuple[str, ...] = (),
    score: float = 2.0,
) -> Motif:
    """A motif as mining would produce it, with one example event per session.

    ``fix`` is a fix summary as :mod:`reverie.mine.recovery` writes it ("ran
    `mix format` first", "added `-u`", "used `Glob` instead", or the user's
    words for a correction), seen after the failure in ``fix_sessions`` (all
    of ``sessions`` by default); its recovery holds the part mining's
    :func:`~reverie.mine.fixes.choose_basis` picks, so the motif's fix facts
    come out as mining's would.
    """
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
        recovery=mined_recovery(fix, kind, fix_sessions or sessions, len(sessions), template),
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


def mined_recovery(
    fix: str | None, kind: str, fixed_in: tuple[str, ...], sessions: int, template: str
) -> dict[str, Any]:
    """``Motif.recovery`` for ``fix`` seen after the failure once in each of ``fixed_in``."""
    if not fix:
        return {}
    rkind = "user" if kind in USER_KINDS else "retry"
    basis = choose_basis(
        [(s, rkind, fix) for s in fixed_in], motif_sessions=sessions, text=template
    )
    return {
        "fix": fix,
        "kind": rkind,
        "rate": 0.75,
        "consistency": 1.0,
        "basis": basis.kind,
        "value": basis.value,
        "named": basis.named,
        "helper": basis.helper,
        "sessions": basis.sessions,
        "consistent": basis.consistent,
    }


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


def _case(signature: str, text: str, facts: dict[str, Any], **motif: Any) -> Any:
    evidence = [
        EvidenceItem(
            role="failure",
            trust="tool",
            file="/data/s1.jsonl",
            line=10,
            event_id="ev-s1",
            text=text,
        )
    ]
    return make_motif(signature=signature, **motif).model_copy(update={"facts": facts}), evidence


_DOCKER = {
    "cls": "ran_first",
    "failed": "docker push",
    "fix": "docker login",
    "sessions": 2,
    "of": 2,
    "rate": 1.0,
    "verified": True,
    "error": "denied: requested access to the resource is denied",
}
_DENIED = "denied: requested access to the resource is denied"
LLM_CASES: dict[str, Any] = {
    # a flag of the same program: `mix credo --strict` fixed `mix credo`
    "credo": lambda: _case(
        "sig-credo",
        "12 refactoring opportunities, 3 code readability issues.\n"
        "Use `--strict` to show all issues, `--help` for options.",
        {
            "cls": "flag",
            "failed": "mix credo",
            "fix": "mix credo --strict",
            "flag": "--strict",
            "flag_action": "added",
            "sessions": 3,
            "of": 3,
            "rate": 1.0,
            "verified": True,
            "error": "mix credo reported issues that only --strict lists",
        },
        program="mix credo",
        template="<NUM> refactoring opportunities, <NUM> code "
        "readability issues.\nUse `--strict` to show all issues, `--help` for options.",
        fix=None,
        sessions=("s1", "s2", "s3"),
    ),
    # ran first: `docker login` fixed `docker push` (the model's answer names neither)
    "docker": lambda: _case(
        "sig-docker", _DENIED, _DOCKER, program="docker push", template=_DENIED, fix=None
    ),
    # the user's correction, quoted as user-trust data
    "user": lambda: _case(
        "sig-user",
        "git push origin main",
        {
            "cls": "user",
            "failed": "git push",
            "rejected": "git push origin main",
            "quote": "don't push to main, open a pull request",
            "sessions": 2,
            "of": 2,
            "rate": 1.0,
            "error": "the user rejected the push",
            "quote_ref": {"event_id": "ev-u1", "file": "/data/s1.jsonl", "line": 42},
        },
        program="git push",
        kind="correction",
        fix=None,
        template="The user doesn't want to proceed with this tool use.",
    ),
    # mined before facts existed: the facts are built from its recovery (class none here)
    "none": lambda: _case(
        "sig-none",
        "FAILED tests/test_x.py::test_y - AssertionError",
        {},
        program="pytest",
        template="FAILED <PATH> - AssertionError",
        fix=None,
    ),
    # OpenAI only: the JSON answer as the message's text (a server that ignored tool_choice)
    "text": lambda: _case(
        "sig-text", _DENIED, _DOCKER, program="docker push", template=_DENIED, fix=None
    ),
    # OpenAI only: arguments that are not JSON
    "malformed": lambda: _case(
        "sig-malformed", _DENIED, _DOCKER, program="docker push", template=_DENIED, fix=None
    ),
}


@pytest.fixture
def llm_case() -> Any:
    """``llm_case(name)``: a motif with fix facts and its evidence, as recorded for the LLMs."""
    return lambda name: LLM_CASES[name]()
