"""All benchmarks in one command: ingest, mine, dream, render, eval at several corpus sizes.

For each size a Claude Code corpus of about that many events is generated
with :func:`reverie.synth.write_corpus` (three planted motifs across eight
agents; one of them stops occurring halfway, at a known deployment date). Then
each stage runs in a fresh Python process on the same workspace, so the peak
RSS reported is that stage's own:

- ``ingest``: a new workspace, every file parsed, redacted and stored (when
  ingest parses in worker processes, the largest worker's peak RSS is
  ``peak_child_rss_mb``);
- ``mine``: failures, signatures, recoveries and motifs over the whole store;
- ``dream``: one curation cycle over the stored motifs (auto-approve on);
- ``render``: the system prompt with the approved rules, recorded as deployed
  at the corpus's deployment date;
- ``eval``: held-out split, mining and dreaming on the training part,
  metrics, drift, before/after, and the drift plot.

Writes ``bench/results/all_stages.json`` (every figure, the machine, the
growth from each size to the next) and ``bench/results/scaling.png`` (time and
peak memory against corpus size). Not a test: nothing is asserted; the
target (at most 12x growth from 100k to 1M events for every stage) is
reported as met or not.

    .venv/bin/python bench/run_all.py                        # 10k, 100k and 1M events
    .venv/bin/python bench/run_all.py --sizes 10000 100000   # quicker
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
STAGES = ("ingest", "mine", "dream", "render", "eval")
STEPS = 100  # Bash steps per session: about 206 events per session
AGENTS = 8
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
TENANT = "default"
TARGET_GROWTH = 12.0


def _sessions(events: int) -> int:
    return max(4, round(events / (2 * STEPS + 6)))


def _deployed(sessions: int) -> datetime:
    return START + timedelta(hours=6 * (sessions // 2))  # synth: sessions 6 hours apart


def generate(corpus: Path, events: int) -> dict[str, Any]:
    from reverie.synth import write_corpus

    sessions = _sessions(events)
    t0 = time.perf_counter()
    stats = write_corpus(corpus, sessions=sessions, steps=STEPS, agents=AGENTS, seed=11,
                         start=START, deployed_at=_deployed(sessions), fixed=("mix-format",))
    return {"events": stats.events, "sessions": stats.sessions,
            "generate_seconds": round(time.perf_counter() - t0, 2)}


# -- the stages (each runs in its own process) ----------------------------------------
def stage_ingest(ws: Path, corpus: Path, sessions: int) -> dict[str, Any]:
    from reverie.ingest.pipeline import default_workers, discover, ingest_paths
    from reverie.workspace import Workspace, init_workspace

    settings = init_workspace(ws)
    toml = ws / "reverie.toml"
    toml.write_text(toml.read_text().replace("auto_approve = false", "auto_approve = true"))
    with Workspace.open(settings) as workspace:
        workers = default_workers(len(list(discover([corpus]))))
        summary = ingest_paths(workspace, TENANT, [corpus], workers=workers)
    return {"events": summary.events, "sessions": summary.sessions, "workers": workers}


def stage_mine(ws: Path, corpus: Path, sessions: int) -> dict[str, Any]:
    from reverie.mine import mine
    from reverie.settings import load_settings
    from reverie.store import open_store

    settings = load_settings(ws)
    store = open_store(settings)
    try:
        motifs = mine(store, TENANT, settings.mine, settings.trust)  # type: ignore[arg-type]
    finally:
        store.close()
    return {"motifs": len(motifs)}


def stage_dream(ws: Path, corpus: Path, sessions: int) -> dict[str, Any]:
    from reverie.audit.log import AuditLog
    from reverie.rulebook.distill import TemplateDistiller
    from reverie.rulebook.dream import DreamPolicy, dream
    from reverie.rulebook.evidence import event_refs, evidence_items, fetch_events
    from reverie.settings import load_settings
    from reverie.store import open_store

    settings = load_settings(ws)
    store = open_store(settings)
    try:
        motifs = store.motifs(TENANT)  # type: ignore[attr-defined]
        report = dream(
            rules_dir=settings.rules_dir, audit=AuditLog(settings.state_dir), tenant=TENANT,
            motifs=motifs, now=_deployed(sessions), policy=DreamPolicy.from_settings(settings),
            distiller=TemplateDistiller(settings.root),
            evidence_for=lambda m: evidence_items(m, fetch_events(store, TENANT, event_refs(m))),
            live_sessions={s.id for s in store.sessions(TENANT)},
        )
    finally:
        store.close()
    return {"decisions": report.counts(), "rules": report.rules}


def stage_render(ws: Path, corpus: Path, sessions: int) -> dict[str, Any]:
    from reverie.render.records import render_and_record
    from reverie.workspace import Workspace

    with Workspace.open(ws) as workspace:
        _, record = render_and_record(workspace, TENANT, "system_prompt", agent=None,
                                      at=_deployed(sessions))
    return {"rules": len(record.rules), "tokens": record.tokens}


def stage_eval(ws: Path, corpus: Path, sessions: int) -> dict[str, Any]:
    from reverie.evaluate import evaluate, plot_drift
    from reverie.workspace import Workspace

    with Workspace.open(ws) as workspace:
        report = evaluate(workspace, TENANT)
    ba = report.before_after
    if report.drift is not None and report.drift.windows:
        plot_drift(report.drift, ws / "drift.png", deployed_at=ba.deployed_at if ba else None)
    changes = ba.changes if ba else []
    change = next((c for c in changes if c.metric == "targeted_session_rate"), None)
    return {
        "heldout_sessions": report.heldout.sessions,
        "training_rules": report.training["rules"],
        "coverage_candidates": report.heldout.coverage["candidates"].rate.rate,
        "windows": len(report.drift.windows) if report.drift else 0,
        "before_after_targeted_change": change.model_dump() if change else None,
    }


def child(stage: str, ws: Path, corpus: Path, sessions: int) -> None:
    """Run one stage in this process and print its figures as one JSON line."""
    fn = globals()[f"stage_{stage}"]
    t0, cpu = time.perf_counter(), time.process_time()
    out = fn(ws, corpus, sessions)
    out.update(
        seconds=round(time.perf_counter() - t0, 2),
        cpu_seconds=round(time.process_time() - cpu, 2),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        # ingest may parse in worker processes: the largest of them, reported beside
        peak_child_rss_mb=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    )
    print(json.dumps(out, default=str))


def run_size(events: int, workdir: Path) -> dict[str, Any]:
    corpus, ws = workdir / f"corpus-{events}", workdir / f"ws-{events}"
    row: dict[str, Any] = {"target_events": events, **generate(corpus, events), "stages": {}}
    print(f"{events:>9} events: generated {row['events']} events, {row['sessions']} sessions "
          f"in {row['generate_seconds']} s", flush=True)
    for stage in STAGES:
        proc = subprocess.run(
            [sys.executable, __file__, "--stage", stage, "--ws", str(ws), "--corpus", str(corpus),
             "--sessions", str(row["sessions"])],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"stage {stage} at {events} events failed:\n{proc.stderr}")
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        row["stages"][stage] = figures
        print(f"{'':>9}  {stage:<7} {figures['seconds']:>8.2f} s  "
              f"{figures['peak_rss_mb']:>7.1f} MB", flush=True)
    shutil.rmtree(corpus, ignore_errors=True)
    return row


def growth(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Time and memory ratio of each stage from each size to the next."""
    out = []
    for a, b in itertools.pairwise(rows):
        ratios = {
            stage: {
                "events": round(b["events"] / a["events"], 2),
                "time": round(b["stages"][stage]["seconds"] / max(a["stages"][stage]["seconds"],
                                                                  0.01), 2),
                "memory": round(b["stages"][stage]["peak_rss_mb"]
                                / a["stages"][stage]["peak_rss_mb"], 2),
            }
            for stage in STAGES
        }
        out.append({"from": a["target_events"], "to": b["target_events"], "stages": ratios})
    return out


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    x = [r["events"] for r in rows]
    for stage in STAGES:
        left.plot(x, [r["stages"][stage]["seconds"] for r in rows], "o-", label=stage)
        right.plot(x, [r["stages"][stage]["peak_rss_mb"] for r in rows], "o-", label=stage)
    for ax, label in ((left, "time (s)"), (right, "peak RSS (MB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("corpus size (events)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle(f"Reverie stages vs corpus size ({platform.machine()}, {os.cpu_count()} CPUs)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--ws", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sessions", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        child(args.stage, args.ws, args.corpus, args.sessions)
        return
    workdir = Path(tempfile.mkdtemp(prefix="reverie-bench-all-"))
    try:
        rows = [run_size(size, workdir) for size in sorted(args.sizes)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ratios = growth(rows)
    big = next((g for g in ratios if g["from"] == 100_000 and g["to"] == 1_000_000), None)
    result = {
        "benchmark": "all stages",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0], "platform": platform.platform(),
            "processor": platform.machine(), "cpus": os.cpu_count(),
        },
        "runs": rows,
        "growth": ratios,
        "target": {
            "max_growth_100k_to_1m": TARGET_GROWTH,
            "met": None if big is None else all(
                s["time"] <= TARGET_GROWTH and s["memory"] <= TARGET_GROWTH
                for s in big["stages"].values()
            ),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "all_stages.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    plot(rows, args.out / "scaling.png")
    for g in ratios:
        print(f"growth {g['from']} -> {g['to']}: " + ", ".join(
            f"{k} {v['time']}x time / {v['memory']}x memory" for k, v in g["stages"].items()))
    print(f"wrote {args.out / 'all_stages.json'} and {args.out / 'scaling.png'}")


if __name__ == "__main__":
    main()
