"""Evaluation: held-out proof, drift over time, before/after a deployment, cost per success.

:func:`evaluate` runs it all and returns an :class:`EvalReport`; the modules
hold the parts: :mod:`.split` (held-out splits), :mod:`.profile` (one pass
over the store), :mod:`.training` (mining and dreaming in scratch space),
:mod:`.matching` (which rule targets which failure), :mod:`.metrics`,
:mod:`.drift`, :mod:`.beforeafter`, :mod:`.stats` (intervals) and
:mod:`.plot`. Definitions and caveats: docs/evaluation.md.
"""

from reverie.evaluate.beforeafter import BeforeAfter, before_after
from reverie.evaluate.drift import Drift, Window, drift, parse_window
from reverie.evaluate.metrics import Metrics, RuleMetrics, score_sessions, summarize
from reverie.evaluate.plot import plot_drift
from reverie.evaluate.run import EvalReport, evaluate
from reverie.evaluate.split import Split, split_sessions
from reverie.evaluate.stats import Interval, Rate, mean_difference, rate_difference, wilson

__all__ = [
    "BeforeAfter",
    "Drift",
    "EvalReport",
    "Interval",
    "Metrics",
    "Rate",
    "RuleMetrics",
    "Split",
    "Window",
    "before_after",
    "drift",
    "evaluate",
    "mean_difference",
    "parse_window",
    "plot_drift",
    "rate_difference",
    "score_sessions",
    "split_sessions",
    "summarize",
    "wilson",
]
