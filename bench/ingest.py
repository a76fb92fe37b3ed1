"""Ingest throughput into the embedded store, against the parse+hash floor, with CPU by stage.

    python bench/ingest.py [--events 1000000] [--real-lines 200000] [--corpus DIR]
                           [--workers 2] [--out bench/results/ingest.json]

Two corpora, side by side in one run (each skipped with 0):

- ``generated``: a Claude Code corpus of about ``--events`` events
  (:mod:`reverie.synth`), or ``--corpus DIR``;
- ``real``: the shared real Claude Code sessions replicated to about
  ``--real-lines`` lines, each copy with its own UUIDs (``bench/corpora.py``).

For each: the single-core parse+hash floor (every line read, ``json.loads``
and BLAKE2b, in this process), then ingest into a fresh workspace with the
default settings (redaction and injection flags on) in a child process with
``--workers`` workers (wall seconds, events/s, peak RSS of the parent and of
the largest worker), then the CPU per event by stage on a sample of files
(``bench/stages.py``). Prints the figures and writes them to ``--out``. Not a
test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import floor, replicate_real

HERE = Path(__file__).resolve().parent

STEPS = 500  # Bash steps per generated session (about 2 events each)

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from reverie.ingest.pipeline import ingest_paths
from reverie.settings import load_settings
from reverie.workspace import Workspace

def main():
    corpus, ws, workers = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    settings = load_settings(ws)
    with Workspace.open(settings) as space:
        space.store
        started = time.perf_counter()
        summary = ingest_paths(space, settings.tenant, [corpus], workers=workers)
        seconds = time.perf_counter() - started
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "events": summary.events, "sessions": summary.sessions, "files": summary.files,
        "malformed": len(summary.malformed), "seconds": seconds,
        "cpu_seconds": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
        "peak_rss_mb": me.ru_maxrss / 1024, "peak_worker_rss_mb": kids.ru_maxrss / 1024,
    }))

if __name__ == "__main__":
    main()
"""


def ingest(corpus: Path, workdir: Path, workers: int) -> dict[str, Any]:
    """Ingest ``corpus`` into a fresh workspace in a child process; its figures."""
    from reverie.workspace import init_workspace

    ws = workdir / f"ws-{workers}"
    shutil.rmtree(ws, ignore_errors=True)
    init_workspace(ws)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(corpus), str(ws), str(workers)],
        check=True, capture_output=True, text=True,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    store_mb = sum(p.stat().st_size for p in (ws / ".reverie").glob("reverie.db*")) / 2**20
    return {
        "workers": workers,
        "events": figures["events"],
        "sessions": figures["sessions"],
        "files": figures["files"],
        "seconds": round(figures["seconds"], 2),
        "events_per_s": round(figures["events"] / figures["seconds"]),
        "cpu_seconds": round(figures["cpu_seconds"], 2),
        "cpu_us_per_event": round(figures["cpu_seconds"] / max(figures["events"], 1) * 1e6, 1),
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "peak_worker_rss_mb": round(figures["peak_worker_rss_mb"], 1),
        "store_mb": round(store_mb, 1),
    }


def measure(name: str, corpus: Path, workdir: Path, workers: int) -> dict[str, Any]:
    print(f"[{name}] floor ...", flush=True)
    base = floor(corpus)
    print(f"[{name}] ingest with {workers} workers ...", flush=True)
    run = ingest(corpus, workdir / name, workers)
    print(f"[{name}] CPU by stage ...", flush=True)
    stages = json.loads(subprocess.run(
        [sys.executable, str(HERE / "stages.py"), str(corpus), "--files", "40", "--json"],
        check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1])
    return {
        "corpus": name,
        "floor": base,
        "ingest": run,
        "ingest_over_floor": round(run["seconds"] / base["seconds"], 2),
        "stages_sample": stages,
    }


def show(row: dict[str, Any]) -> None:
    base, run, stages = row["floor"], row["ingest"], row["stages_sample"]
    print(f"\n{row['corpus']}: {base['lines']:,} lines, {run['events']:,} events, "
          f"{run['files']:,} files")
    print(f"  parse+hash floor (1 core): {base['seconds']:>7.2f} s  ({base['cpu_seconds']} s CPU)")
    print(f"  ingest ({run['workers']} workers):     {run['seconds']:>7.2f} s  "
          f"{run['events_per_s']:,} events/s, {run['cpu_us_per_event']} us CPU per event, "
          f"peak RSS {run['peak_rss_mb']} MB (+{run['peak_worker_rss_mb']} MB per worker), "
          f"store {run['store_mb']} MB")
    print(f"  ingest / floor: {row['ingest_over_floor']}x")
    print(f"  CPU per event by stage ({stages['files']} files, {stages['events']:,} events, "
          f"{stages['us_per_event_total']} us per event):")
    for stage, us in stages["us_per_event"].items():
        print(f"    {stage:>12}: {us:>6.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--real-lines", type=int, default=200_000)
    parser.add_argument("--corpus", type=Path, help="ingest this folder instead of a generated one")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results/ingest.json"))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="reverie-bench-"))
    rows: list[dict[str, Any]] = []
    try:
        if args.corpus is not None or args.events:
            corpus = args.corpus
            if corpus is None:
                from reverie.synth import write_corpus

                corpus = workdir / "generated"
                sessions = max(1, args.events // (2 * STEPS + 1))
                started = time.perf_counter()
                write_corpus(corpus, sessions=sessions, steps=STEPS, agents=8, seed=11)
                print(f"generated {sessions} sessions in {time.perf_counter() - started:.1f} s")
            rows.append(measure("generated", corpus, workdir, args.workers))
            show(rows[-1])
        if args.real_lines:
            real = workdir / "real"
            copies = replicate_real(real, args.real_lines)
            print(f"real Claude Code sessions: {copies['copies']} copies, {copies['files']} files")
            rows.append(measure("real-claude-code", real, workdir, args.workers))
            show(rows[-1])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "runs": rows,
        "machine": {
            "python": sys.version.split()[0], "platform": platform.platform(),
            "processor": platform.machine(), "cpus": __import__("os").cpu_count(),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
