"""The README's main job, end to end, on the embedded store.

Sessions come from, in order: the path the user gives; the real public
transcripts in ``../shared/data/real`` beside the checkout; else a small corpus
Reverie generates itself (:mod:`reverie.synth`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from reverie.ingest import IngestSummary, ingest_paths
from reverie.settings import CONFIG_NAME, Settings, load_settings
from reverie.store import open_store
from reverie.synth import write_corpus
from reverie.workspace import init_workspace

__all__ = ["DemoResult", "find_sessions", "run_demo"]


class DemoResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace: str
    sessions_from: str
    source_kind: str
    ingest: IngestSummary


_CHECKOUT = Path(__file__).resolve().parents[2]


def find_sessions(
    given: Path | None, root: Path, search: tuple[Path, ...] | None = None
) -> tuple[Path, str]:
    """Where the demo reads sessions from, and which kind of source that is.

    ``search`` are the folders whose sibling ``shared/data/real`` is looked for
    (default: the current folder and the checkout Reverie runs from).
    """
    if given is not None:
        return given.expanduser(), "given"
    for base in search if search is not None else (Path.cwd(), _CHECKOUT):
        real = base.parent / "shared" / "data" / "real"
        if real.is_dir():
            return real, "real"
    generated = root / "generated-sessions"
    if not generated.exists():
        write_corpus(generated, sessions=12, steps=25, agents=3, seed=3)
    return generated, "generated"


def _workspace(root: Path) -> Settings:
    if (root / CONFIG_NAME).is_file():
        return load_settings(root)
    settings = init_workspace(root, tenant="demo")
    config = root / CONFIG_NAME
    # The demo's explicit policy: auto-approve confident, trusted rules so the
    # loop reaches a rendered prompt without a human (never low-trust ones).
    text = config.read_text().replace("auto_approve = false", "auto_approve = true")
    config.write_text(text.replace("min_sessions = 3", "min_sessions = 2"))
    return load_settings(root) if settings else settings


def run_demo(root: Path, sessions: Path | None = None) -> DemoResult:
    settings = _workspace(root)
    source, kind = find_sessions(sessions, root)
    store = open_store(settings)
    try:
        summary = ingest_paths(settings, store, [source])
    finally:
        store.close()
    return DemoResult(
        workspace=str(settings.root), sessions_from=str(source), source_kind=kind, ingest=summary
    )
