"""Benchmark: ingest, read and mining throughput, Bolt server versus embedded store.

For each size, a planted corpus (:mod:`reverie.testing.planted`: six planted
motifs, a near miss and noise, about 100 events per session) is written
through ``write_file`` into a fresh embedded store (SQLite in a temp folder)
and into a Bolt server: an ArcadeDB started here on a free loopback port, or
the Neo4j named by ``REVERIE_NEO4J_URI`` (with ``REVERIE_NEO4J_USER``,
``REVERIE_NEO4J_PASSWORD``, ``REVERIE_NEO4J_DATABASE``; each size then uses
its own tenant). Then, on each store: a full event scan (``events()``), the
stats, and a mining run. Prints one line per store and size and writes
``bench/results/store.json``.

    .venv/bin/python bench/store.py                       # 100k and 1M events
    .venv/bin/python bench/store.py --sizes 20000         # a quick run
    .venv/bin/python bench/store.py --sizes 100000 --heap 2g
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reverie.mine import mine
from reverie.store.base import GraphStore
from reverie.store.bolt import BoltStore
from reverie.store.sqlite import SQLiteStore
from reverie.testing.arcadedb import ArcadeDBServer
from reverie.testing.planted import write_planted

RESULTS = Path(__file__).resolve().parent / "results" / "store.json"
STEPS = 30  # about 100 events per session


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def run_store(name: str, store: GraphStore, tenant: str, events: int) -> dict[str, Any]:
    """Ingest, scan, count and mine ``events`` planted events in ``store``."""
    sessions = max(events // (STEPS * 10 // 3 + 1), 1)
    written, ingest_s = _timed(
        lambda: write_planted(store, tenant, sessions=sessions, steps=STEPS, seed=1, per_file=200)
    )
    scanned, scan_s = _timed(lambda: sum(1 for _ in store.events(tenant)))
    stats, stats_s = _timed(lambda: store.stats(tenant))
    motifs, mine_s = _timed(lambda: mine(store, tenant, min_sessions=3, min_agents=2))  # type: ignore[arg-type]
    assert scanned == stats.events == written, (scanned, stats.events, written)
    return {
        "store": name,
        "events": written,
        "sessions": sessions,
        "ingest_seconds": round(ingest_s, 2),
        "ingest_events_per_second": round(written / ingest_s),
        "scan_seconds": round(scan_s, 2),
        "scan_events_per_second": round(scanned / scan_s),
        "stats_seconds": round(stats_s, 2),
        "mine_seconds": round(mine_s, 2),
        "mine_events_per_second": round(written / mine_s),
        "motifs": [m.id for m in motifs],
    }


def _print(row: dict[str, Any]) -> None:
    print(
        f"{row['store']:>8} {row['events']:>9,} events  "
        f"ingest {row['ingest_seconds']:>8.1f} s ({row['ingest_events_per_second']:>7,}/s)  "
        f"scan {row['scan_seconds']:>6.1f} s ({row['scan_events_per_second']:>7,}/s)  "
        f"stats {row['stats_seconds']:>5.2f} s  "
        f"mine {row['mine_seconds']:>7.1f} s ({row['mine_events_per_second']:>6,}/s)  "
        f"{len(row['motifs'])} motifs",
        flush=True,
    )


def _bolt(args: argparse.Namespace, tmp: Path) -> tuple[BoltStore, ArcadeDBServer | None, str]:
    uri = os.environ.get("REVERIE_NEO4J_URI")
    if uri:
        password = os.environ.get("REVERIE_NEO4J_PASSWORD")
        auth = None if password is None else (os.environ.get("REVERIE_NEO4J_USER", "neo4j"),
                                              password)
        store = BoltStore(uri, auth, os.environ.get("REVERIE_NEO4J_DATABASE"))
        return store, None, f"neo4j ({uri})"
    server = ArcadeDBServer(tmp / "arcadedb", heap=args.heap).start()
    store = BoltStore(server.uri, server.auth, server.database, batch_size=args.batch)
    return store, server, f"arcadedb (heap {args.heap})"


def _save(rows: list[dict[str, Any]], server_name: str) -> None:
    """Write the results, keeping earlier runs of the sizes not measured this time."""
    sizes = {row["events"] for row in rows}
    kept: list[dict[str, Any]] = []
    if RESULTS.is_file():
        kept = [r for r in json.loads(RESULTS.read_text()).get("runs", [])
                if r.get("events") not in sizes]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "store",
        "bolt_server": server_name,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "runs": sorted(kept + rows, key=lambda r: (r["events"], r["store"] != "embedded")),
    }, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--heap", default="1g", help="ArcadeDB JVM heap (-Xmx)")
    parser.add_argument("--batch", type=int, default=2_000, help="Bolt rows per transaction")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        bolt, server, server_name = _bolt(args, tmp)
        try:
            for size in args.sizes:
                tenant = f"bench-{size}-{int(time.time())}"
                embedded = SQLiteStore(tmp / f"store-{size}.db")
                try:
                    pair = [run_store("embedded", embedded, tenant, size)]
                finally:
                    embedded.close()
                _print(pair[0])
                pair.append(run_store("bolt", bolt, tenant, size) | {"server": server_name})
                _print(pair[1])
                same = pair[0]["motifs"] == pair[1]["motifs"]
                print(f"{'':>8} same motifs on both stores: {same}", flush=True)
                for row in pair:
                    row["same_motifs"] = same
                    row["motifs"] = len(row["motifs"])
                rows.extend(pair)
                _save(rows, server_name)
        finally:
            bolt.close()
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
