"""Intervals and held-out splits: known values, determinism, disjoint parts."""

from __future__ import annotations

import math

import numpy as np  # the reference implementation (dev extra); reverie itself does not use it
import pytest

from reverie.errors import ConfigError
from reverie.evaluate.split import SessionKey, split_sessions
from reverie.evaluate.stats import mean_difference, percentile, rate_difference, wilson


def test_wilson_matches_the_textbook_values() -> None:
    # Newcombe (1998), table I: 81/263 -> 0.2553 .. 0.3662
    ci = wilson(81, 263)
    assert (round(ci.low, 4), round(ci.high, 4)) == (0.2553, 0.3662)
    assert wilson(0, 10).low == 0.0 and 0 < wilson(0, 10).high < 0.31
    assert wilson(0, 0).estimate is None


def test_newcombe_difference_contains_the_estimate_and_detects_a_drop() -> None:
    # Newcombe (1998), table II, example (a): 56/70 vs 48/80 -> 0.0524 .. 0.3339
    d = rate_difference(56, 70, 48, 80)
    assert (round(d.low, 4), round(d.high, 4)) == (0.0524, 0.3339)
    assert rate_difference(0, 40, 14, 40).excludes_zero
    assert not rate_difference(13, 40, 14, 40).excludes_zero


def test_bootstrap_is_seeded_and_brackets_the_difference() -> None:
    after, before = [0.0, 1.0, 0.0, 2.0] * 10, [3.0, 2.0, 4.0, 3.0] * 10
    a, b = mean_difference(after, before, seed=1), mean_difference(after, before, seed=1)
    assert a == b
    assert a.low < a.estimate < a.high < 0
    same = mean_difference(before, before)
    assert same.low <= 0 <= same.high


def _keys(n: int = 20, agents: int = 3) -> list[SessionKey]:
    return [SessionKey(id=f"s{i:02d}", agent=f"a{i % agents}", start=1000 * i) for i in range(n)]


@pytest.mark.parametrize("kind", ["time", "random", "by-agent"])
def test_splits_are_disjoint_complete_and_deterministic(kind: str) -> None:
    keys = _keys()
    s = split_sessions(keys, kind, 0.3, seed=5)
    assert not set(s.train) & set(s.heldout)
    assert set(s.train) | set(s.heldout) == {k.id for k in keys}
    assert s.heldout and s.train
    assert split_sessions(keys, kind, 0.3, seed=5) == s


def test_time_split_holds_out_the_latest_and_by_agent_whole_agents() -> None:
    keys = _keys()
    assert split_sessions(keys, "time", 0.25).heldout == [f"s{i}" for i in range(15, 20)]
    s = split_sessions(keys, "by-agent", 0.3)
    held_agents = {k.agent for k in keys if k.id in s.heldout}
    assert held_agents == set(s.heldout_agents)
    assert not held_agents & {k.agent for k in keys if k.id in s.train}


def test_time_split_orders_undated_sessions_last_and_says_so() -> None:
    keys = [SessionKey(id="late", agent="a", start=None, order="f2"),
            SessionKey(id="x", agent="a", start=5), SessionKey(id="y", agent="a", start=9)]
    s = split_sessions(keys, "time", 0.3)
    assert s.heldout == ["late"] and s.note and "no start time" in s.note


def test_bad_splits_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="two agents"):
        split_sessions(_keys(agents=1), "by-agent", 0.3)
    with pytest.raises(ConfigError, match="between 0 and 1"):
        split_sessions(_keys(), "time", 1.0)
    with pytest.raises(ConfigError, match="unknown split"):
        split_sessions(_keys(), "weekly", 0.3)


def test_percentile_is_numpys_linear_percentile() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 10, 2000):
        values = sorted(rng.normal(size=n).tolist())
        for q in (0.0, 0.025, 0.25, 0.5, 0.975, 1.0):
            assert percentile(values, q) == float(np.percentile(values, 100 * q)), (n, q)


def _numpy_bootstrap(after: list[float], before: list[float], seed: int) -> tuple[float, float]:
    """The numpy bootstrap ``mean_difference`` used before it became plain Python."""
    x, y = np.asarray(after), np.asarray(before)
    rng = np.random.default_rng(seed)
    mx = x[rng.integers(0, len(x), size=(2000, len(x)))].mean(axis=1)
    my = y[rng.integers(0, len(y), size=(2000, len(y)))].mean(axis=1)
    low, high = np.percentile(mx - my, [2.5, 97.5])
    return float(low), float(high)


@pytest.mark.parametrize("n", [5, 40, 300])
def test_bootstrap_agrees_with_the_numpy_bootstrap_within_its_own_noise(n: int) -> None:
    """Another random stream, the same interval within Monte Carlo noise.

    With 2000 resamples a bound's own Monte Carlo error is about 0.06 standard
    errors of the difference, so two streams' bounds differ by about 0.09;
    0.4 is over four times that (the largest seen over these 15 cases: 0.23).
    """
    import random
    import statistics

    for seed in range(5):
        rng = random.Random(seed)
        after = [float(rng.choice([0, 0, 1, 2, 5])) for _ in range(n)]
        before = [rng.expovariate(0.5) for _ in range(n + 3)]
        se = math.sqrt(statistics.pvariance(after) / n + statistics.pvariance(before) / (n + 3))
        ours = mean_difference(after, before, seed=seed)
        low, high = _numpy_bootstrap(after, before, seed)
        assert ours.estimate == round(statistics.fmean(after) - statistics.fmean(before), 6)
        assert abs(ours.low - low) < 0.4 * se and abs(ours.high - high) < 0.4 * se, (seed, n)
