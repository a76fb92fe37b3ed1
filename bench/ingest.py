"""Ingest throughput into the embedded store: events/s, sessions/s, peak RSS.

    python bench/ingest.py [--events 1000000] [--corpus DIR] [--out bench/results/ingest.json]

Generates a Claude Code corpus of about ``--events`` events with
:mod:`reverie.synth` (or takes ``--corpus``), ingests it into a fresh
workspace with the default settings (redaction and injection flags on), and
prints and writes the figures. Not a test: no assertion on time.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from reverie.ingest.pipeline import default_workers, discover, ingest_paths
from reverie.store import open_store
from reverie.synth import write_corpus
from reverie.workspace import Workspace, init_workspace

STEPS = 500  # Bash steps per generated session (about 2 events each)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(events: int, corpus: Path | None, workdir: Path) -> dict[str, object]:
    if corpus is None:
        corpus = workdir / "corpus"
        sessions = max(1, events // (2 * STEPS + 1))
        t0 = time.perf_counter()
        write_corpus(corpus, sessions=sessions, steps=STEPS, agents=8, seed=11)
        print(f"generated {sessions} sessions in {time.perf_counter() - t0:.1f} s", flush=True)
    settings = init_workspace(workdir / "ws")
    store = open_store(settings)
    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    workers = default_workers(len(list(discover([corpus]))))
    summary = ingest_paths(Workspace(settings, store=store), settings.tenant, [corpus],
                           workers=workers)
    seconds = time.perf_counter() - t0
    store.close()
    db_mb = sum(p.stat().st_size for p in settings.db_path.parent.glob("reverie.db*")) / 2**20
    return {
        "events": summary.events,
        "sessions": summary.sessions,
        "files": summary.files,
        "seconds": round(seconds, 2),
        "events_per_s": round(summary.events / seconds),
        "workers": workers,
        "sessions_per_s": round(summary.sessions / seconds, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_worker_rss_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "peak_rss_mb_before_ingest": round(rss_before, 1),
        "store_mb": round(db_mb, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--out", type=Path, default=Path("bench/results/ingest.json"))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="reverie-bench-"))
    try:
        figures = run(args.events, args.corpus, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    figures["machine"] = {
        "python": sys.version.split()[0], "platform": platform.platform(),
        "processor": platform.machine(), "cpus": __import__("os").cpu_count(),
    }
    for key, value in figures.items():
        print(f"{key:>26}: {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
