"""The Bolt store finds what the embedded store finds, on real transcripts (issue #16).

``bench/fingerprint.py`` digests a corpus's sessions, events, motifs and rules
after ingest, mining and one dream. Here the same corpus goes through both
stores under the same fresh tenant, and the two fingerprints must be equal;
``tests/test_pipeline_fingerprint.py`` holds the embedded store to what it
found before the performance work, so the Bolt store is held to it too.
"""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.bolt, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("fingerprint", ROOT / "bench" / "fingerprint.py")
assert _spec and _spec.loader
fingerprint = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fingerprint)


@pytest.mark.parametrize("folder", ["openhands", "mini_swe_agent", "swe_agent_multimodel"])
def test_bolt_and_embedded_stores_find_the_same(
    folder: str, real_data: Path, bolt_target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if bolt_target.auth is not None:
        monkeypatch.setenv("REVERIE_NEO4J_USER", bolt_target.auth[0])
        monkeypatch.setenv("REVERIE_NEO4J_PASSWORD", bolt_target.auth[1])
    tenant = "fp-" + uuid.uuid4().hex[:10]
    corpus = real_data / folder
    embedded = fingerprint.fingerprint(corpus, tmp_path / "embedded", tenant=tenant)
    bolt = fingerprint.fingerprint(corpus, tmp_path / "bolt", "neo4j", tenant=tenant,
                                   uri=bolt_target.uri, database=bolt_target.database)
    assert embedded["events"] > 0 and embedded["motifs"] > 0
    different = {k: (embedded[k], bolt[k]) for k in embedded if embedded[k] != bolt[k]}
    assert not different, different
