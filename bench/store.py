"""Benchmark: ingest, read and mining throughput, Bolt server versus embedded store.

For each size, a planted corpus (:mod:`reverie.testing.planted`: six planted
motifs, a near miss and noise, about 100 events per session) is written
through ``write_file`` into a fresh embedded store (SQLite in a temp folder)
and into a Bolt server: an ArcadeDB started here on a free loopback port, or
the Neo4j named by ``REVERIE_NEO4J_URI`` (with ``REVERIE_NEO4J_USER``,
``REVERIE_NEO4J_PASSWORD``, ``REVERIE_NEO4J_DATABASE``; each size then uses
its own tenant). Then, on each store: a full event scan (``events()``), the
stats, and a mining run. Prints one line per store and size, then the Bolt
store's time over the embedded store's for each operation (and, when several
sizes ran, how each store's times grew), and writes ``bench/results/store.json``.

A Bolt server is a long-running process; a freshly started JVM compiles its
hot paths during the first seconds of work. ``--warmup`` (events, default
20,000; 0 for none) writes, scans and mines a small corpus under a tenant of
its own before anything is timed, so the figures are the server's steady state.

    .venv/bin/python bench/store.py                       # 100k and 1M events
    .venv/bin/python bench/store.py --sizes 20000         # a quick run
    .venv/bin/python bench/store.py --sizes 100000 --heap 2g
    .venv/bin/python bench/store.py --sizes 100000 --warmup 0   # a cold server
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


class _Clock:
    """Wall time and CPU time (this process plus the Bolt server process, when known)."""

    def __init__(self, server_cpu: Callable[[], float | None] = lambda: None) -> None:
        self.server_cpu = server_cpu
        self.cpu: dict[str, float] = {}
        self.server: dict[str, float] = {}  # the server's share of ``cpu``, when known

    def timed(self, op: str, fn: Callable[[], Any]) -> tuple[Any, float]:
        cpu0, server0, started = time.process_time(), self.server_cpu(), time.perf_counter()
        value = fn()
        wall = time.perf_counter() - started
        server1 = self.server_cpu()
        self.cpu[op] = time.process_time() - cpu0
        if server0 is not None and server1 is not None:
            self.server[op] = server1 - server0
            self.cpu[op] += self.server[op]
        return value, wall


def run_store(
    name: str, store: GraphStore, tenant: str, events: int, clock: _Clock | None = None
) -> dict[str, Any]:
    """Ingest, scan, count and mine ``events`` planted events in ``store``."""
    clock = clock or _Clock()
    timed = clock.timed
    sessions = max(events // (STEPS * 10 // 3 + 1), 1)
    written, ingest_s = timed(
        "ingest",
        lambda: write_planted(store, tenant, sessions=sessions, steps=STEPS, seed=1, per_file=200),
    )
    scanned, scan_s = timed("scan", lambda: sum(1 for _ in store.events(tenant)))
    stats, stats_s = timed("stats", lambda: store.stats(tenant))
    motifs, mine_s = timed("mine", lambda: mine(store, tenant, min_sessions=3, min_agents=2))
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
        # client plus server CPU: steadier than wall time on a shared machine
        "cpu_seconds": {op: round(v, 2) for op, v in clock.cpu.items()},
        "server_cpu_seconds": {op: round(v, 2) for op, v in clock.server.items()},
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
    cpu = "  ".join(f"{op} {v:.1f} s" for op, v in row["cpu_seconds"].items())
    print(f"{'':>8} cpu (client + server): {cpu}", flush=True)
    if row["server_cpu_seconds"]:
        server = "  ".join(f"{op} {v:.1f} s" for op, v in row["server_cpu_seconds"].items())
        print(f"{'':>8} of which the server: {server}", flush=True)


OPERATIONS = ("ingest", "scan", "stats", "mine")


def _ratios(pair: list[dict[str, Any]], cpu: bool = False) -> dict[str, float]:
    """Bolt seconds over embedded seconds, per operation (wall time, or CPU time)."""
    embedded, bolt = pair
    if cpu:
        return {
            op: round(bolt["cpu_seconds"][op] / max(embedded["cpu_seconds"][op], 0.01), 2)
            for op in OPERATIONS
        }
    return {
        op: round(bolt[f"{op}_seconds"] / max(embedded[f"{op}_seconds"], 0.01), 2)
        for op in OPERATIONS
    }


def _print_growth(rows: list[dict[str, Any]]) -> None:
    """How each store's times grew from the smallest size to the largest."""
    for name in ("embedded", "bolt"):
        runs = sorted((r for r in rows if r["store"] == name), key=lambda r: r["events"])
        if len(runs) < 2:
            continue
        small, large = runs[0], runs[-1]
        growth = "  ".join(
            f"{op} {large[f'{op}_seconds'] / max(small[f'{op}_seconds'], 0.01):.1f}x"
            for op in OPERATIONS
        )
        print(f"{name:>8} growth {small['events']:,} -> {large['events']:,} events: {growth}")


def _warm(store: GraphStore, events: int) -> None:
    """Ingest, scan and mine a small corpus so the server's JIT has compiled its hot paths."""
    if events > 0:
        print(f"warming the Bolt server up with {events:,} events", flush=True)
        run_store("warmup", store, f"warmup-{int(time.time())}", events)


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
    parser.add_argument("--warmup", type=int, default=20_000,
                        help="events written, scanned and mined on the Bolt store before timing")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        bolt, server, server_name = _bolt(args, tmp)
        try:
            _warm(bolt, args.warmup)
            for size in args.sizes:
                tenant = f"bench-{size}-{int(time.time())}"
                embedded = SQLiteStore(tmp / f"store-{size}.db")
                try:
                    pair = [run_store("embedded", embedded, tenant, size)]
                finally:
                    embedded.close()
                _print(pair[0])
                clock = _Clock(server.cpu_seconds if server is not None else lambda: None)
                pair.append(run_store("bolt", bolt, tenant, size, clock) | {"server": server_name})
                _print(pair[1])
                same = pair[0]["motifs"] == pair[1]["motifs"]
                ratios, cpu_ratios = _ratios(pair), _ratios(pair, cpu=True)
                print(f"{'bolt/emb':>8} wall "
                      + "  ".join(f"{op} {r:.2f}x" for op, r in ratios.items())
                      + f"  same motifs on both stores: {same}", flush=True)
                print(f"{'bolt/emb':>8} cpu  "
                      + "  ".join(f"{op} {r:.2f}x" for op, r in cpu_ratios.items()), flush=True)
                for row in pair:
                    row["same_motifs"] = same
                    row["motifs"] = len(row["motifs"])
                pair[1]["bolt_over_embedded"] = ratios
                pair[1]["bolt_over_embedded_cpu"] = cpu_ratios
                pair[1]["warmup_events"] = args.warmup
                rows.extend(pair)
                _save(rows, server_name)
            _print_growth(rows)
        finally:
            bolt.close()
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
