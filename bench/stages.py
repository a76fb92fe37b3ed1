"""CPU per event by ingest stage, measured in one process on a sample of a corpus.

    python bench/stages.py CORPUS [--files 40]

Ingests the first ``--files`` files of CORPUS into a fresh workspace in this
process, each file parsed first and then written (the parallel path's order),
with timers around each stage:

- ``read+parse``: reading the files' lines (or documents) and parsing their JSON
  within the limits (``reverie.adapters._reading``), timed in a pass of its own
  over the same files (a timer around every line would cost more than the line);
- ``model``: the adapter's time less ``read+parse`` (building sessions and events);
- ``redaction``: ``Redactor.redact_session`` / ``redact_record``;
- ``injection``: ``flag_session`` and the agent-name checks (``_within_limits``);
- ``ids``: ``link_session`` (content hashes, links);
- ``store write``: ``write_file`` with the prepared sessions;
- ``other``: everything else of ``_ingest_one`` (format detection, stat, source state).

Timers nest (a stage's time excludes the stages it calls), so the figures add
up to the total. The timers patch the library in this process: run it in a
process of its own (``bench/ingest.py`` does). Not a test.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext, suppress
from pathlib import Path
from typing import Any

STAGES = ("read+parse", "model", "redaction", "injection", "ids", "store write", "other")


class _Clock:
    """Exclusive time per stage: entering a stage pauses the one it was called from."""

    def __init__(self) -> None:
        self.spent = dict.fromkeys(STAGES, 0.0)
        self.stack: list[tuple[str, float]] = []

    def enter(self, stage: str) -> None:
        now = time.process_time()
        if self.stack:
            outer, since = self.stack[-1]
            self.spent[outer] += now - since
        self.stack.append((stage, now))

    def leave(self) -> None:
        now = time.process_time()
        stage, since = self.stack.pop()
        self.spent[stage] += now - since
        if self.stack:
            self.stack[-1] = (self.stack[-1][0], now)

    def call(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.enter(stage)
            try:
                return fn(*args, **kwargs)
            finally:
                self.leave()
        return timed

    def iterate(self, stage: str, fn: Callable[..., Iterator[Any]]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            it = fn(*args, **kwargs)
            while True:
                self.enter(stage)
                try:
                    item = next(it)
                except StopIteration:
                    return
                finally:
                    self.leave()
                yield item
        return timed


def _read_and_decode(paths: list[Path]) -> float:
    """CPU seconds to read every line (JSONL) or document (JSON) of ``paths`` and decode it,
    as the adapters' readers do (:mod:`reverie.adapters._common`)."""
    from reverie.adapters._common import iter_json_lines, load_json_document
    from reverie.errors import InputError

    started = time.process_time()
    for path in paths:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            for _ in iter_json_lines(path):
                pass
        else:
            with suppress(InputError):
                load_json_document(path)
    return time.process_time() - started


def _patch(module: Any, name: str, wrap: Callable[[Any], Any]) -> None:
    if hasattr(module, name):
        setattr(module, name, wrap(getattr(module, name)))


def profile(corpus: Path, files: int = 40) -> dict[str, Any]:
    """Exclusive CPU seconds per stage for the first ``files`` files of ``corpus``."""
    import reverie.adapters.registry as registry
    import reverie.ingest.pipeline as pipeline
    from reverie.redact.redactor import Redactor
    from reverie.store.sqlite import SQLiteStore
    from reverie.workspace import Workspace, init_workspace

    clock = _Clock()
    for adapter in registry.adapters().values():
        _patch(adapter, "parse", lambda fn: clock.iterate("model", fn))
    Redactor.redact_session = clock.call("redaction", Redactor.redact_session)  # type: ignore[method-assign]
    Redactor.redact_record = clock.call("redaction", Redactor.redact_record)  # type: ignore[method-assign]
    pipeline._within_limits = clock.call("injection", pipeline._within_limits)
    pipeline.flag_session = clock.call("injection", pipeline.flag_session)
    pipeline.link_session = clock.call("ids", pipeline.link_session)
    SQLiteStore.write_file = clock.call("store write", SQLiteStore.write_file)  # type: ignore[method-assign]

    paths = [p for p, _ in pipeline.discover([corpus])][:files]
    events = 0
    with tempfile.TemporaryDirectory(prefix="reverie-stages-") as root, \
            Workspace.open(init_workspace(Path(root) / "ws")) as ws:
        settings = ws.settings
        store = ws.store
        prepare = pipeline._Prepared(settings, settings.tenant)
        from reverie.adapters.base import AdapterOptions

        options = AdapterOptions()
        started = time.process_time()
        for path in paths:
            clock.enter("other")
            result = pipeline._ingest_one(store, prepare, path, None, options, False,
                                          nullcontext())
            clock.leave()
            events += result.events
        total = time.process_time() - started
    # read+parse, measured apart (timers around every line would cost more than the lines):
    # the same files read and decoded within the limits; the adapter's rest is "model".
    clock.spent["read+parse"] = _read_and_decode(paths)
    clock.spent["model"] = max(clock.spent["model"] - clock.spent["read+parse"], 0.0)
    per_event = {k: round(v / max(events, 1) * 1e6, 1) for k, v in clock.spent.items()}
    return {"files": len(paths), "events": events, "cpu_seconds": round(total, 3),
            "us_per_event": per_event,
            "us_per_event_total": round(total / max(events, 1) * 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    result = profile(args.corpus, args.files)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['files']} files, {result['events']} events, {result['cpu_seconds']} s CPU, "
          f"{result['us_per_event_total']} us per event")
    for stage, us in result["us_per_event"].items():
        print(f"  {stage:>12}: {us:>7.1f} us/event")


if __name__ == "__main__":
    main()
