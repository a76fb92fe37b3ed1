"""What the pipeline produces, as digests: sessions, events, motifs and rules per corpus.

    python bench/fingerprint.py [--out tests/data/pipeline_fingerprint.json] [--store embedded]

Every shared real folder (``../shared/data/real/*``) and two generated corpora
(:mod:`reverie.synth` ingested; :mod:`reverie.testing.planted` written into the
store) each go into a fresh workspace with a fixed redaction key, mined (``min_sessions = 2``), and
dreamed once at a fixed time. For each, the file records the counts and a
SHA-256 of every session, every event, every motif and every rule (their JSON,
in a stable order), and the rules' directives in clear so a change reads as a
diff. ``tests/test_pipeline_fingerprint.py`` recomputes it and compares: a
performance change must not change what the pipeline finds.

Regenerate (only when a change is meant to change the output, and say so):
``.venv/bin/python bench/fingerprint.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reverie.ingest.pipeline import ingest_paths
from reverie.rulebook.distill import TemplateDistiller
from reverie.rulebook.rules import load_rules
from reverie.settings import load_settings
from reverie.synth import write_corpus
from reverie.testing.planted import write_planted
from reverie.workflow import curate
from reverie.workspace import Workspace, init_workspace

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "pipeline_fingerprint.json"
KEY = "5e" * 32
PLANTED = Path("planted")  # not a folder: written into the store by write_planted
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _digest(rows: Iterable[str], corpus: Path | None = None) -> str:
    """SHA-256 (16 hex digits) of ``rows``, the corpus folder's path written as ``<corpus>``."""
    prefixes = sorted({str(corpus), str(corpus.resolve())}, key=len, reverse=True) if corpus else []
    h = hashlib.sha256()
    for row in rows:
        for prefix in prefixes:
            row = row.replace(prefix, "<corpus>")
        h.update(row.encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def corpora(root: Path) -> dict[str, Path]:
    """Every corpus the fingerprint covers: name -> folder (generated ones under ``root``)."""
    found = {f"real/{p.name}": p for p in sorted(REAL.iterdir()) if p.is_dir()}
    found["real/all"] = REAL
    synth = root / "synth"
    write_corpus(synth, sessions=30, steps=40, agents=4, seed=5)
    found["generated/synth"] = synth
    found["generated/planted"] = PLANTED
    return found


def fingerprint(
    corpus: Path, workdir: Path, store: str = "embedded", tenant: str = "default",
    uri: str | None = None, database: str | None = None,
) -> dict[str, Any]:
    """Ingest ``corpus`` into a fresh workspace under ``workdir``, mine, dream; digest it all.

    ``store = "neo4j"`` with ``uri`` and ``database`` (credentials from
    ``REVERIE_NEO4J_USER`` / ``_PASSWORD``) runs it on a Bolt server; give a
    ``tenant`` no one else uses there.
    """
    init_workspace(workdir, tenant=tenant)
    (workdir / ".reverie" / "redact.key").write_text(KEY + "\n")
    config = workdir / "reverie.toml"
    text = config.read_text().replace("min_sessions = 3", "min_sessions = 2")  # more motifs
    text = text.replace('kind = "embedded"', f'kind = "{store}"')
    if uri is not None:
        text = text.replace("[store]\n", f"[store]\nuri = {uri!r}\n", 1)
    if database is not None:
        text = text.replace("[store]\n", f"[store]\ndatabase = {database!r}\n", 1)
    config.write_text(text)
    settings = load_settings(workdir)
    with Workspace.open(settings) as ws:
        if corpus == PLANTED:
            files, malformed = 0, 0
            write_planted(ws.store, tenant, sessions=24, steps=30, seed=3)
        else:
            summary = ingest_paths(ws, tenant, [corpus], workers=1)
            files, malformed = summary.files, len(summary.malformed)
        report = curate(ws, tenant, now=NOW, distiller=TemplateDistiller(settings.root))
        sessions = sorted(s.model_dump_json() for s in ws.store.sessions(tenant))
        events = [e.model_dump_json() for e in ws.store.events(tenant)]
        motifs = sorted(m.model_dump_json() for m in ws.store.motifs(tenant))
    rules = sorted(load_rules(settings.rules_dir, tenant), key=lambda r: r.id)
    return {
        "files": files,
        "malformed": malformed,
        "sessions": len(sessions),
        "events": len(events),
        "motifs": len(motifs),
        "rules": len(rules),
        "decisions": report.counts(),
        "digest": {
            "sessions": _digest(sessions, corpus),
            "events": _digest(events, corpus),
            "motifs": _digest(motifs, corpus),
            "rules": _digest((r.model_dump_json() for r in rules), corpus),
        },
        "directives": [f"{r.id} {r.status}: {r.directive}" for r in rules],
    }


def compute(store: str = "embedded") -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="reverie-fingerprint-"))
    try:
        return {name: fingerprint(folder, root / "ws" / name.replace("/", "-"), store)
                for name, folder in corpora(root).items()}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--store", default="embedded")
    args = parser.parse_args()
    result = compute(args.store)
    for name, fp in result.items():
        print(f"{name:>32}: {fp['sessions']} sessions, {fp['events']} events, "
              f"{fp['motifs']} motifs, {fp['rules']} rules")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
