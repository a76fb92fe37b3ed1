"""Redaction against a case file of secret and PII shapes (``redact_cases.yaml``).

Each positive case is a line with a secret or a personal value in the shape a
public scanner rule (gitleaks, detect-secrets, trufflehog) or a PII standard
describes; what must disappear, which class must replace it and what context
must survive are listed with it. Each negative case is ordinary code, ids,
paths, versions or numbers that must come out exactly as they went in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reverie.redact.patterns import Plan, find_all
from reverie.redact.redactor import Redactor

KEY = b"corpus-test-key-0123456789abcdef"
CASES: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    Path(__file__).with_name("redact_cases.yaml").read_text(encoding="utf-8")
)
POSITIVES = CASES["positives"]
NEGATIVES = CASES["negatives"]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(key=KEY)


def test_case_file_is_well_formed() -> None:
    ids = [c["id"] for c in POSITIVES + NEGATIVES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(POSITIVES) >= 60 and len(NEGATIVES) >= 40
    allowed = {"id", "source", "text", "gone", "kind", "keep"}
    for case in POSITIVES:
        assert set(case) <= allowed and case["gone"], case["id"]
        for value in case["gone"]:
            assert value in case["text"], (case["id"], value)
        for value in case.get("keep", []):
            assert value in case["text"], (case["id"], value)
    for case in NEGATIVES:
        assert set(case) <= {"id", "text", "source"}, case["id"]


@pytest.mark.parametrize("case", POSITIVES, ids=[c["id"] for c in POSITIVES])
def test_secret_or_pii_is_redacted(case: dict[str, Any], redactor: Redactor) -> None:
    out = redactor.redact_text(case["text"])
    for value in case["gone"]:
        assert value not in out, f"{case['id']}: {value!r} survived in {out!r}"
    for value in case.get("keep", []):
        assert value in out, f"{case['id']}: context {value!r} was lost in {out!r}"
    if "kind" in case:
        assert f"<{case['kind']}:" in out, f"{case['id']}: expected a {case['kind']} in {out!r}"
    assert redactor.redact_text(out) == out  # idempotent


@pytest.mark.parametrize("case", NEGATIVES, ids=[c["id"] for c in NEGATIVES])
def test_ordinary_text_is_left_alone(case: dict[str, Any], redactor: Redactor) -> None:
    assert redactor.redact_text(case["text"]) == case["text"]


@pytest.mark.parametrize(
    "case", POSITIVES + NEGATIVES, ids=[c["id"] for c in POSITIVES + NEGATIVES]
)
def test_short_text_gate_finds_what_the_full_scan_finds(
    case: dict[str, Any], redactor: Redactor
) -> None:
    """The fast path for short texts (one combined expression) never skips a detector's find."""
    slow = Plan(redactor.detectors)
    slow.master = None
    text = case["text"]
    assert find_all(redactor._plan, text) == find_all(slow, text)
    for piece in (text[i : i + 200] for i in range(0, len(text), 50)):
        assert find_all(redactor._plan, piece) == find_all(slow, piece)
