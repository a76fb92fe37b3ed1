"""Auto-detection over every real file: transcripts go to their adapter, the rest is refused.

Transcripts are the ``*.jsonl``, ``*.json`` and ``*.traj`` files except the
neighbouring files that only describe a run: SWE-bench ``report.json`` /
``results.json``, OpenHands ``metadata.json`` and ``config.json``, SWE-agent
``all_preds.jsonl`` (predicted patches, no conversation). Those, the READMEs
and the CSV summary must be refused with an error that lists the formats tried.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie.adapters.base import AdapterOptions
from reverie.adapters.registry import adapters, detect
from reverie.errors import UnknownFormatError
from reverie.models import ParsedSession

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "real"
NOT_TRANSCRIPTS = {"report.json", "results.json", "metadata.json", "config.json", "all_preds.jsonl"}
EXPECTED = {  # top folder of the sample -> the format it is in
    "claude_code": "claude-code",
    "swe_agent": "swe-agent",
    "swe_agent_multimodel": "swe-agent",
    "mini_swe_agent": "mini-swe-agent",
    "openhands": "openhands",
    "tau_bench": "openai-chat",
    "otel_genai": "otel-genai",
}


def is_transcript(path: Path) -> bool:
    return path.suffix in {".jsonl", ".json", ".traj"} and path.name not in NOT_TRANSCRIPTS


def real_files() -> list[Path]:
    return sorted(p for p in REAL.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "path", [p for p in real_files() if is_transcript(p)], ids=lambda p: str(p.relative_to(REAL))
)
def test_transcripts_are_detected_and_parse(path: Path) -> None:
    adapter = detect(path)
    assert adapter.name == EXPECTED[path.relative_to(REAL).parts[0]]
    items = list(adapter.parse(path, AdapterOptions()))
    assert any(isinstance(i, ParsedSession) and i.events for i in items)


@pytest.mark.parametrize(
    "path",
    [p for p in real_files() if not is_transcript(p)],
    ids=lambda p: str(p.relative_to(REAL)),
)
def test_other_files_are_refused_listing_formats(path: Path) -> None:
    with pytest.raises(UnknownFormatError) as info:
        detect(path)
    assert set(info.value.tried) == set(adapters())
    assert "otel-genai" in str(info.value)


def test_every_sample_folder_is_covered() -> None:
    assert {p.relative_to(REAL).parts[0] for p in real_files() if is_transcript(p)} == set(EXPECTED)


def test_ambiguous_and_unknown_input(tmp_path: Path) -> None:
    unknown = tmp_path / "x.jsonl"
    unknown.write_text('{"hello": "world"}\n')
    with pytest.raises(UnknownFormatError, match="tried"):
        detect(unknown)
    # chat messages with Anthropic tool_use blocks resemble both chat formats; the
    # Anthropic one must win on its block types, never tie
    mixed = tmp_path / "m.json"
    mixed.write_text(
        '{"messages": [{"role": "user", "content": [{"type": "tool_result", '
        '"tool_use_id": "t", "content": "x"}]}]}'
    )
    assert detect(mixed).name == "anthropic"


def test_a_tie_is_an_ambiguity_error(tmp_path: Path) -> None:
    both = tmp_path / "both.json"
    both.write_text('{"reverie": 1, "trajectory_format": "mini-swe-agent-1"}\n')
    with pytest.raises(UnknownFormatError, match="ambiguous") as info:
        detect(both)
    assert set(info.value.tried) == set(adapters())
