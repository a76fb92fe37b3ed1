"""Intervals and held-out splits: known values, determinism, disjoint parts."""

from __future__ import annotations

import pytest

from reverie.errors import ConfigError
from reverie.evaluate.split import SessionKey, split_sessions
from reverie.evaluate.stats import mean_difference, rate_difference, wilson


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
