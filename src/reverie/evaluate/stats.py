"""Intervals for rates and means: Wilson, Newcombe's difference, a seeded bootstrap.

All intervals are two-sided 95% by default. The bootstrap uses a fixed seed,
so the same data always gives the same interval. Plain Python (``random``,
``math``): evaluation needs no numpy.

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
import random
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Interval",
    "Rate",
    "mean_difference",
    "percentile",
    "rate",
    "rate_difference",
    "wilson",
]

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


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0 to 1) of sorted values, interpolated linearly between neighbours.

    The same value as numpy's default (``numpy.percentile(values, 100 * q)``,
    method ``linear``), computed the same way.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5), percentile([1.0, 2.0, 3.0, 4.0], 0.025)
    (2.5, 1.075)
    """
    if not ordered:
        raise ValueError("percentile of no values")
    pos = q * (len(ordered) - 1)
    below = math.floor(pos)
    above = min(below + 1, len(ordered) - 1)
    a, b, t = ordered[below], ordered[above], pos - below
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def mean_difference(
    after: Sequence[float], before: Sequence[float], seed: int = 0, resamples: int = BOOTSTRAP
) -> Interval:
    """mean(after) - mean(before), with a percentile bootstrap interval (seeded).

    Each of ``resamples`` rounds draws ``len(after)`` values from ``after`` and
    ``len(before)`` from ``before``, with replacement, and keeps the difference
    of their means; the interval is the 2.5th and 97.5th percentile of those.
    """
    if not after or not before:
        return Interval(estimate=None, low=None, high=None, method="bootstrap")
    x, y = [float(v) for v in after], [float(v) for v in before]
    draw = random.Random(seed).choices
    nx, ny = len(x), len(y)
    diffs = sorted(sum(draw(x, k=nx)) / nx - sum(draw(y, k=ny)) / ny for _ in range(resamples))
    return Interval(
        estimate=_r(math.fsum(x) / nx - math.fsum(y) / ny),
        low=_r(percentile(diffs, 0.025)), high=_r(percentile(diffs, 0.975)),
        method="bootstrap",
    )
