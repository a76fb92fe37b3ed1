"""What the pipeline finds does not change when it gets faster (issue #16).

``tests/data/pipeline_fingerprint.json`` was written by ``bench/fingerprint.py``
on the code before the performance work (commit recorded in the file's git
history): per shared real folder, all of them together and two generated
corpora, the counts and digests of sessions, events, motifs and rules, and
every rule's directive. The test recomputes them with today's code.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fingerprint", ROOT / "bench" / "fingerprint.py")
assert _spec and _spec.loader
fingerprint = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fingerprint)


@pytest.fixture(scope="module")
def today() -> dict:
    return fingerprint.compute()


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads((ROOT / "tests" / "data" / "pipeline_fingerprint.json").read_text())


def test_every_corpus_is_covered(today: dict, recorded: dict, real_data: Path) -> None:
    folders = {f"real/{p.name}" for p in real_data.iterdir() if p.is_dir()}
    assert folders <= set(recorded), "a shared real folder has no recorded fingerprint"
    assert set(today) == set(recorded)


@pytest.mark.parametrize("part", ["counts", "directives", "digest"])
def test_the_pipeline_finds_what_it_found_before(today: dict, recorded: dict, part: str) -> None:
    keys = {"counts": ("files", "malformed", "sessions", "events", "motifs", "rules",
                       "decisions"),
            "directives": ("directives",), "digest": ("digest",)}[part]
    changed = {
        name: {k: (recorded[name][k], today[name][k]) for k in keys
               if recorded[name][k] != today[name][k]}
        for name in recorded
    }
    changed = {name: diff for name, diff in changed.items() if diff}
    assert not changed, "\n".join(f"{name}: {diff}" for name, diff in changed.items())
