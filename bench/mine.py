"""Benchmark: time to mine corpora of 100k and 1M events on the embedded store.

Each corpus is generated with :mod:`reverie.testing.planted` (six planted motifs,
a near miss and unique noise errors in every session) and written straight
into a fresh SQLite store. Mining then runs in a child process, so its peak
RSS (``VmHWM``) is its own and not the generator's. Prints one line per size and writes
``bench/results/mine.json``. Each line also gives the CPU seconds of each
stage (:data:`reverie.mine.timing.STAGES`) and the child's context switches:
voluntary ones are waits (disk, fsync), involuntary ones other processes taking
the CPU, which is what separates wall from CPU time on a busy machine.
Target (issue #16): under 15 s and 300 MB for 1M events, at most 12x the 100k time.

    .venv/bin/python bench/mine.py                 # 100k and 1M events
    .venv/bin/python bench/mine.py --sizes 20000   # a quick run
    .venv/bin/python bench/mine.py --keep /tmp/minebench   # keep (and reuse) the stores
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reverie.mine import mine
from reverie.mine.timing import STAGES, StageClock
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


def _store(db: Path, events: int, keep: Path | None) -> dict:
    """A fresh store of about ``events`` events at ``db``: built, or copied from ``keep``."""
    if keep is None:
        return build(db, events)
    kept = keep / f"mine-{events}.db"
    meta = kept.with_suffix(".json")
    if not (kept.exists() and meta.exists()):
        keep.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps(build(kept, events)))
    shutil.copyfile(kept, db)
    return json.loads(meta.read_text())


def mine_once(db: Path) -> dict:
    """Mine the store at ``db`` once (run in the child process)."""
    store = SQLiteStore(db)
    before = resource.getrusage(resource.RUSAGE_SELF)
    clock = StageClock()
    started, cpu = time.perf_counter(), time.process_time()
    motifs = mine(store, "bench", min_sessions=3, min_agents=2, clock=clock)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_SELF)
    failures = store._conn.execute(
        "SELECT count(*) FROM mine_failures WHERE tenant = 'bench'"
    ).fetchone()[0]
    store.close()
    return {
        "mine_seconds": round(seconds, 2),
        "mine_cpu_seconds": round(cpu, 2),
        "stage_cpu_seconds": {k: round(clock.seconds.get(k, 0.0), 2) for k in STAGES},
        "waits": after.ru_nvcsw - before.ru_nvcsw,
        "preempted": after.ru_nivcsw - before.ru_nivcsw,
        "motifs": len(motifs),
        "failures": failures,
        "peak_rss_mb": _peak_rss_mb(after),
    }


def _peak_rss_mb(usage: resource.struct_rusage) -> float:
    """This process's peak RSS: ``VmHWM`` where Linux has it, since ``ru_maxrss`` keeps the
    parent's peak across fork and exec (the generator's, here), else ``ru_maxrss``."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(usage.ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the generated stores in DIR and reuse them when there")
    parser.add_argument("--mine-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mine_only:
        print(json.dumps(mine_once(args.mine_only)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            db = Path(tmp) / f"mine-{size}.db"
            row = {"target_events": size, **_store(db, size, args.keep)}
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
                f"{row['motifs']} motifs  (generate {row['generate_seconds']} s)\n"
                f"{'':>11}cpu by stage: "
                + "  ".join(f"{k} {v:.2f}" for k, v in row["stage_cpu_seconds"].items())
                + f"  | {row['waits']:,} waits, {row['preempted']:,} preemptions",
                flush=True,
            )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        growth = (b["mine_seconds"] / a["mine_seconds"]) / (b["events"] / a["events"])
        print(f"time grows {growth:.2f}x per unit of data from {a['events']:,} to "
              f"{b['events']:,} events (1.00 = linear): "
              f"{b['mine_seconds'] / a['mine_seconds']:.1f}x wall, "
              f"{b['mine_cpu_seconds'] / a['mine_cpu_seconds']:.1f}x cpu in all")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "mine", "runs": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
