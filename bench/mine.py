"""Benchmark: time to mine corpora of 100k and 1M events on the embedded store.

Each corpus is generated with :mod:`reverie.testing.planted` (six planted motifs,
a near miss and unique noise errors in every session) and written straight
into a fresh SQLite store. Mining then runs in a child process, so its peak
RSS is its own and not the generator's. Prints one line per size and writes
``bench/results/mine.json``. Target: under 30 s for 1M events.

    .venv/bin/python bench/mine.py                 # 100k and 1M events
    .venv/bin/python bench/mine.py --sizes 20000   # a quick run
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reverie.mine import mine
from reverie.store.sqlite import SQLiteStore
from reverie.testing.planted import write_planted

RESULTS = Path(__file__).resolve().parent / "results" / "mine.json"
STEPS = 30  # about 100 events per session


def build(db: Path, events: int, seed: int = 1) -> dict:
    """Write a planted corpus of about ``events`` events into a new store at ``db``."""
    sessions = max(events // (STEPS * 10 // 3 + 1), 1)
    started = time.perf_counter()
    store = SQLiteStore(db)
    written = write_planted(store, "bench", sessions=sessions, steps=STEPS, seed=seed,
                            per_file=200)
    store.close()
    return {"events": written, "sessions": sessions,
            "generate_seconds": round(time.perf_counter() - started, 1)}


def mine_once(db: Path) -> dict:
    """Mine the store at ``db`` once (run in the child process)."""
    store = SQLiteStore(db)
    started, cpu = time.perf_counter(), time.process_time()
    motifs = mine(store, "bench", min_sessions=3, min_agents=2)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    failures = store._conn.execute(
        "SELECT count(*) FROM mine_failures WHERE tenant = 'bench'"
    ).fetchone()[0]
    store.close()
    return {
        "mine_seconds": round(seconds, 2),
        "mine_cpu_seconds": round(cpu, 2),
        "motifs": len(motifs),
        "failures": failures,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--mine-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mine_only:
        print(json.dumps(mine_once(args.mine_only)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            db = Path(tmp) / f"mine-{size}.db"
            row = {"target_events": size, **build(db, size)}
            child = subprocess.run(
                [sys.executable, __file__, "--mine-only", str(db)],
                check=True, capture_output=True, text=True,
            )
            row.update(json.loads(child.stdout.strip().splitlines()[-1]))
            row["events_per_second"] = round(row["events"] / row["mine_seconds"])
            rows.append(row)
            print(
                f"{row['events']:>9,} events  {row['sessions']:>6,} sessions  "
                f"mine {row['mine_seconds']:>6.2f} s (cpu {row['mine_cpu_seconds']:.2f} s)  "
                f"{row['events_per_second']:>9,} events/s  "
                f"peak RSS {row['peak_rss_mb']:>7.1f} MB  {row['failures']:,} failures  "
                f"{row['motifs']} motifs  (generate {row['generate_seconds']} s)",
                flush=True,
            )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        growth = (b["mine_seconds"] / a["mine_seconds"]) / (b["events"] / a["events"])
        print(f"time grows {growth:.2f}x per unit of data from {a['events']:,} to "
              f"{b['events']:,} events (1.00 = linear)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "mine", "runs": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
