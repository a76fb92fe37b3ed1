"""Start-up cost: how long the interpreter, ``import reverie`` and two CLI commands take.

    python bench/startup.py [--runs 15] [--out bench/results/startup.json]

Measures, in the same run and interleaved (one of each command per round, so
a busy moment hits them all alike): ``python -c pass`` (the interpreter
alone), ``python -c "import reverie"``, ``reverie --help`` and ``reverie
rules list`` in a fresh workspace (made by ``reverie init`` first). Each
command runs once unmeasured (compiling bytecode), then ``--runs`` times;
the figures are the median, fastest and slowest wall time and the median
peak RSS of the process (``wait4``). The interpreter and the ``reverie``
script are those beside ``sys.executable``. Not a test: nothing is asserted;
the CLI target (under 0.3 s for ``--help`` and ``rules list``) is reported
as met or not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_S = 0.3  # reverie --help and reverie rules list


def measure(argv: list[str], cwd: Path) -> tuple[float, float]:
    """One run of ``argv``: (wall seconds, peak RSS in MB); a failing command is an error."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    errors = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {errors}")
    return seconds, usage.ru_maxrss / 1024


def commands(workspace: Path) -> dict[str, tuple[list[str], Path]]:
    python = sys.executable
    reverie = str(Path(python).parent / "reverie")
    here = workspace.parent
    return {
        "python -c pass": ([python, "-c", "pass"], here),
        'python -c "import reverie"': ([python, "-c", "import reverie"], here),
        "reverie --help": ([reverie, "--help"], here),
        "reverie rules list": ([reverie, "rules", "list"], workspace),
    }


def run(runs: int, workdir: Path) -> list[dict[str, Any]]:
    workspace = workdir / "ws"
    reverie = str(Path(sys.executable).parent / "reverie")
    subprocess.run([reverie, "init", str(workspace)], check=True, stdout=subprocess.DEVNULL)
    todo = commands(workspace)
    times: dict[str, list[float]] = {name: [] for name in todo}
    rss: dict[str, list[float]] = {name: [] for name in todo}
    for argv, cwd in todo.values():
        measure(argv, cwd)  # unmeasured: bytecode compiled, files in the page cache
    for _ in range(runs):
        for name, (argv, cwd) in todo.items():
            seconds, peak = measure(argv, cwd)
            times[name].append(seconds)
            rss[name].append(peak)
    return [
        {
            "command": name,
            "median_s": round(statistics.median(times[name]), 3),
            "min_s": round(min(times[name]), 3),
            "max_s": round(max(times[name]), 3),
            "peak_rss_mb": round(statistics.median(rss[name]), 1),
        }
        for name in todo
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs of each command")
    parser.add_argument("--out", type=Path, default=RESULTS / "startup.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reverie-bench-startup-") as tmp:
        rows = run(args.runs, Path(tmp))
    cli = [r for r in rows if r["command"].startswith("reverie ")]
    result = {
        "benchmark": "startup",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0], "platform": platform.platform(),
            "processor": platform.machine(), "cpus": os.cpu_count(),
        },
        "runs": args.runs,
        "commands": rows,
        "target": {"cli_median_s": TARGET_S, "met": all(r["median_s"] < TARGET_S for r in cli)},
    }
    print(f"{'command':<28} {'median':>8} {'min':>8} {'max':>8} {'peak RSS':>10}")
    for r in rows:
        print(f"{r['command']:<28} {r['median_s']:>7.3f}s {r['min_s']:>7.3f}s "
              f"{r['max_s']:>7.3f}s {r['peak_rss_mb']:>7.1f} MB")
    verdict = "met" if result["target"]["met"] else "not met"
    print(f"target: reverie --help and rules list under {TARGET_S} s (median): {verdict}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
