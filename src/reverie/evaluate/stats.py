"""Intervals for rates and means: Wilson, Newcombe's difference, a seeded bootstrap.

All intervals are two-sided 95% by default. The bootstrap uses a fixed seed,
so the same data always gives the same interval.

>>> round(wilson(8, 10).low, 3), round(wilson(8, 10).high, 3)
(0.49, 0.943)
>>> d = rate_difference(2, 40, 20, 40)
>>> d.estimate < 0 and d.high < 0
True
>>> mean_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]).low <= 0 <= 1
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

__all__ = ["Interval", "Rate", "mean_difference", "rate", "rate_difference", "wilson"]

Z95 = 1.959963984540054
BOOTSTRAP = 2000


def _r(value: float) -> float:
    """Six decimals: enough for any rate, and no ``5.5e-17`` for a zero."""
    return round(value, 6) + 0.0


class Interval(BaseModel):
    """An estimate with its confidence interval (``None`` bounds: not enough data)."""

    model_config = ConfigDict(extra="forbid")

    estimate: float | None
    low: float | None
    high: float | None
    method: str

    @property
    def excludes_zero(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


class Rate(BaseModel):
    """``k`` of ``n``, the share, and its Wilson interval."""

    model_config = ConfigDict(extra="forbid")

    k: int
    n: int
    rate: float | None
    ci: Interval


def wilson(k: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval for ``k`` successes in ``n`` trials."""
    if n <= 0:
        return Interval(estimate=None, low=None, high=None, method="wilson")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(
        estimate=_r(p), low=_r(max(0.0, centre - half)), high=_r(min(1.0, centre + half)),
        method="wilson",
    )


def rate(k: int, n: int) -> Rate:
    """``k`` of ``n`` with its Wilson interval."""
    ci = wilson(k, n)
    return Rate(k=k, n=n, rate=ci.estimate, ci=ci)


def rate_difference(k_after: int, n_after: int, k_before: int, n_before: int) -> Interval:
    """after - before, with Newcombe's hybrid score interval (method 10) from two Wilsons."""
    a, b = wilson(k_after, n_after), wilson(k_before, n_before)
    if a.estimate is None or b.estimate is None:
        return Interval(estimate=None, low=None, high=None, method="newcombe")
    assert a.low is not None and a.high is not None and b.low is not None and b.high is not None
    d = a.estimate - b.estimate
    low = d - math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2)
    high = d + math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2)
    return Interval(
        estimate=_r(d), low=_r(max(-1.0, low)), high=_r(min(1.0, high)), method="newcombe"
    )


def mean_difference(
    after: Sequence[float], before: Sequence[float], seed: int = 0, resamples: int = BOOTSTRAP
) -> Interval:
    """mean(after) - mean(before), with a percentile bootstrap interval (seeded)."""
    if not after or not before:
        return Interval(estimate=None, low=None, high=None, method="bootstrap")
    x, y = np.asarray(after, dtype=float), np.asarray(before, dtype=float)
    rng = np.random.default_rng(seed)
    diffs = np.empty(resamples)
    chunk = max(1, 2_000_000 // max(len(x), len(y)))
    for start in range(0, resamples, chunk):
        m = min(chunk, resamples - start)
        mx = x[rng.integers(0, len(x), size=(m, len(x)))].mean(axis=1)
        my = y[rng.integers(0, len(y), size=(m, len(y)))].mean(axis=1)
        diffs[start : start + m] = mx - my
    low, high = np.percentile(diffs, [2.5, 97.5])
    return Interval(
        estimate=_r(float(x.mean() - y.mean())), low=_r(float(low)), high=_r(float(high)),
        method="bootstrap",
    )
