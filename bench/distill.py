"""Benchmark: distill and dream 1,000 motifs with the offline distiller.

The motifs are generated in memory, spread over every fix class (a program run
first or instead, a flag, an argument set from another call's result, another
tool, a user's correction, an environment fact, no consistent fix), with
destructive fixes among them, so every template branch and every flag is
exercised. One dream cycle proposes a rule for each into a fresh workspace
(rule files and the audit log written), then a second cycle over the same
motifs (reinforcement, nothing new) is timed too. Prints the figures and
writes ``bench/results/distill.json``.

    .venv/bin/python bench/distill.py                # 1,000 motifs
    .venv/bin/python bench/distill.py --motifs 200   # a quick run
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reverie.audit.log import AuditLog
from reverie.mine.facts import build_facts
from reverie.models import Motif
from reverie.rulebook.dream import DreamPolicy, dream
from reverie.workspace import init_workspace

RESULTS = Path(__file__).resolve().parent / "results" / "distill.json"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
_CASES = (
    ("Bash", "docker push", "denied: requested access to the resource is denied",
     {"basis": "command", "value": "docker login"}),
    ("Bash", "tsc", "tsc: command not found", {"basis": "invocation", "value": "npx tsc"}),
    ("Bash", "git push", "fatal: The current branch has no upstream branch",
     {"basis": "flag", "value": "added --set-upstream"}),
    ("Read", None, "File does not exist.",
     {"basis": "field", "value": "file_path", "helper": "Glob"}),
    ("create", "create", "Error: File already exists.", {"basis": "instead", "value": "edit"}),
    ("Bash", "mkdir", "mkdir: cannot create directory: File exists",
     {"basis": "command", "value": "rm -rf"}),
    ("Bash", "curl", "curl: (7) Failed to connect: Connection refused", {}),
)


_WORDS = ("amber", "basil", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo",
          "juniper", "kelp", "lumen", "maple", "nectar", "onyx", "pebble", "quartz", "raven",
          "sierra", "tundra", "umber", "violet", "willow", "xenon", "yarrow", "zephyr")


def _name(i: int, salt: int) -> str:
    """A made-up program or tool name, distinct for every ``i`` (and ``salt``)."""
    a, b = divmod(i * 7 + salt, len(_WORDS))
    return f"{_WORDS[a % len(_WORDS)]}{_WORDS[b]}"


def motifs(n: int) -> list[Motif]:
    """``n`` distinct motifs over every fix class (deterministic): each names its own
    programs and fixes, so their rules are distinct, as a real rule book's are."""
    out = []
    for i in range(n):
        tool, program, error, basis = _CASES[i % len(_CASES)]
        basis = dict(basis)
        if basis.get("value") and basis.get("basis") != "flag":
            basis["value"] = f"{basis['value']}-{_name(i, 3)}"
        program = f"{program.split()[0]}-{_name(i, 0)}" if program else None
        kind = "correction" if i % 11 == 5 else "tool_error"
        rec = {"kind": "user" if kind == "correction" else "retry", "rate": 0.8,
               "sessions": 3, "consistent": bool(basis),
               "fix": f"no, use {_name(i, 9)} and open a pull request"}
        rec.update(basis)
        cause = None
        if i % 13 == 7:
            cause = {"kind": "missing_command", "subjects": [_name(i, 11), _name(i, 13)]}
        sessions = [f"s{i}-{k}" for k in range(3 + i % 4)]
        motif = Motif(
            id=f"b2:{i:032x}", tenant="bench", tool=tool if program else f"{tool}-{_name(i, 5)}",
            program=program,
            template=f"{error} (case {i})", kind=kind, signature_ids=[f"sig{i}"],
            sessions=sessions, agents=[f"agent-{k}" for k in range(1 + i % 3)],
            support=len(sessions) + 1, trust_support=0.6 * (len(sessions) + 1),
            recovery=rec, cause=cause, first_seen=NOW - timedelta(days=2),
            last_seen=NOW - timedelta(days=1), cross_agent=i % 3 == 2, score=float(n - i),
        )
        motif.facts = build_facts(motif).model_dump(mode="json")
        out.append(motif)
    return out


def run(n: int) -> dict:
    batch = motifs(n)
    with tempfile.TemporaryDirectory(prefix="reverie-bench-distill-") as tmp:
        settings = init_workspace(Path(tmp) / "ws")
        audit = AuditLog(settings.state_dir)
        policy = DreamPolicy(min_sessions=2, auto_approve=True, auto_approve_confidence=0.6)
        timings = {}
        for cycle in ("first", "second"):
            started, cpu = time.perf_counter(), time.process_time()
            report = dream(rules_dir=settings.rules_dir, audit=audit, tenant="bench",
                           motifs=batch, now=NOW, policy=policy)
            timings[cycle] = (time.perf_counter() - started, time.process_time() - cpu, report)
        first_s, first_cpu, first = timings["first"]
        second_s, _, second = timings["second"]
        rules = sum(1 for d in first.decisions if d.action == "propose")
        counts = first.counts()
    return {
        "motifs": n,
        "rules": rules,
        "decisions": counts,
        "dream_seconds": round(first_s, 2),
        "dream_cpu_seconds": round(first_cpu, 2),
        "ms_per_rule": round(1000 * first_s / max(rules, 1), 2),
        "second_cycle_seconds": round(second_s, 2),
        "second_cycle_decisions": len(second.decisions),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--motifs", type=int, default=1000)
    args = parser.parse_args()
    result = run(args.motifs)
    print(
        f"{result['motifs']} motifs -> {result['rules']} rules in {result['dream_seconds']} s "
        f"({result['ms_per_rule']} ms per rule, cpu {result['dream_cpu_seconds']} s); "
        f"second cycle {result['second_cycle_seconds']} s, "
        f"{result['second_cycle_decisions']} decisions; peak {result['peak_rss_mb']} MB"
    )
    print("decisions:", result["decisions"])
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
