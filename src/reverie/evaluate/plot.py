"""The drift plot: the metrics per window over time, the deployment marked.

Three panels sharing the time axis: the share of sessions hit by a failure
an approved (and any candidate) rule targets, with the coverage of recurring
failures; failures per
session, and sessions per window. A vertical line marks the deployment date,
so a rise of a failure and its dip after the rules went live are visible at
a glance. Rendered with matplotlib's Agg backend (no display needed); the
file's suffix picks the format: ``.png`` or ``.svg``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reverie.errors import ConfigError
from reverie.evaluate.drift import Drift

__all__ = ["FORMATS", "plot_drift"]

FORMATS = (".png", ".svg")


def _series(drift: Drift, name: str) -> list[float]:
    return [
        float("nan") if (v := getattr(w, name)) is None else float(v) for w in drift.windows
    ]


def plot_drift(
    drift: Drift, path: Path, *, deployed_at: datetime | None = None, title: str = ""
) -> Path:
    """Write the drift plot of ``drift`` to ``path`` (PNG or SVG by suffix); return the path."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ConfigError(f"--plot {path}: the file must end in .png or .svg")
    if not drift.windows:
        raise ConfigError("no dated sessions: there is nothing to plot over time")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    x = [w.start + (w.end - w.start) / 2 for w in drift.windows]
    width = (drift.windows[0].end - drift.windows[0].start) * 0.8
    fig, axes = plt.subplots(3, 1, figsize=(10, 7.5), sharex=True,
                             gridspec_kw={"height_ratios": [3, 2, 1.4]})
    top, mid, low = axes
    top.plot(x, _series(drift, "approved_targeted_session_rate"), "o-", color="tab:red", ms=4,
             lw=2, label="sessions hit by a failure an approved rule targets")
    top.plot(x, _series(drift, "targeted_session_rate"), "^:", color="tab:pink", ms=3,
             label="... a candidate rule targets")
    top.plot(x, _series(drift, "coverage_candidates"), "s--", color="tab:blue", ms=3,
             label="coverage of recurring failures (candidate rules)")
    top.set_ylim(-0.02, 1.02)
    top.set_ylabel("share")
    top.legend(loc="upper left", fontsize=8)
    mid.plot(x, _series(drift, "failures_per_session"), "o-", color="tab:orange", ms=3,
             label="failures per session")
    mid.plot(x, _series(drift, "recurring_per_session"), "--", color="tab:purple",
             label="recurring failures per session")
    mid.set_ylabel("per session")
    mid.legend(loc="upper left", fontsize=8)
    low.bar(x, [w.sessions for w in drift.windows], width=width, color="tab:gray")
    low.set_ylabel("sessions")
    for ax in axes:
        ax.grid(alpha=0.3)
        if deployed_at is not None:
            ax.axvline(deployed_at, color="black", lw=1.5, ls="--")
    if deployed_at is not None:
        top.annotate("deployed", xy=(deployed_at, 1.0), xytext=(4, -12),
                     textcoords="offset points", fontsize=8)
    low.xaxis.set_major_formatter(mdates.ConciseDateFormatter(low.xaxis.get_major_locator()))
    fig.suptitle(title or f"drift per {drift.window_days:g}-day window ({drift.rules_source})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
