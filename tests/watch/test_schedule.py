"""``--every`` and ``--cron``: parsing, the standard cron semantics, and bad values."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reverie.errors import ConfigError
from reverie.watch.schedule import parse_cron, parse_every, parse_schedule

T0 = datetime(2026, 12, 1, 18, 23, 53, tzinfo=UTC)  # a Tuesday


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600),
                                               ("1d", 86400), ("90M", 5400)])
def test_every_takes_a_number_and_a_unit(text: str, seconds: int) -> None:
    assert parse_every(text).seconds == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "0s", "-5m", "1.5h", "1w", "5 m", "1h30m"])
def test_a_bad_every_is_a_config_error_naming_it(text: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"--every {text!r}")):
        parse_every(text)


def test_every_ticks_at_once_then_each_period_skipping_missed_ticks() -> None:
    every = parse_every("10s")
    assert every.first(T0) == T0
    assert every.following(T0, T0 + timedelta(seconds=3)) == T0 + timedelta(seconds=10)
    # the tick ran 25 s: the ones due at +10 s and +20 s are skipped, not run back to back
    assert every.following(T0, T0 + timedelta(seconds=25)) == T0 + timedelta(seconds=30)


def test_the_default_is_every_hour_and_both_options_are_refused() -> None:
    assert parse_schedule(None, None).text == "1h"
    assert parse_schedule(None, "0 3 * * *").text == "0 3 * * *"
    with pytest.raises(ConfigError, match="not both"):
        parse_schedule("1h", "0 3 * * *")


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("0 3 * * *", "2026-12-01T18:23:53", "2026-12-02T03:00:00"),
        ("0 3 * * *", "2026-12-02T03:00:00", "2026-12-03T03:00:00"),  # strictly after
        ("*/15 * * * *", "2026-12-01T18:23:53", "2026-12-01T18:30:00"),
        ("5,35 */6 * * *", "2026-12-01T18:40:00", "2026-12-02T00:05:00"),
        ("0 9-17/4 * * *", "2026-12-01T13:30:00", "2026-12-01T17:00:00"),
        ("30 8 * * mon-fri", "2026-12-04T09:00:00", "2026-12-07T08:30:00"),  # Fri -> Mon
        ("0 0 * * 7", "2026-12-01T00:00:00", "2026-12-06T00:00:00"),  # 7 is Sunday
        ("0 0 * * 0", "2026-12-01T00:00:00", "2026-12-06T00:00:00"),
        ("0 0 1 jan *", "2026-12-01T00:00:00", "2027-01-01T00:00:00"),
        ("0 0 29 2 *", "2026-12-01T00:00:00", "2028-02-29T00:00:00"),
        ("0 12 31 * *", "2026-12-01T00:00:00", "2026-12-31T12:00:00"),
        ("0 12 31 * *", "2027-01-31T12:00:00", "2027-03-31T12:00:00"),  # no 31 Feb
        # both day fields restricted: either matches (the 13th, or a Friday)
        ("0 0 13 * 5", "2026-12-01T00:00:00", "2026-12-04T00:00:00"),
        ("0 0 13 * 5", "2026-12-11T00:00:00", "2026-12-13T00:00:00"),
        # a day field starting with '*' is not a restriction: both must match
        ("0 0 */2 * 5", "2026-12-01T00:00:00", "2026-12-11T00:00:00"),
        ("10/20 * * * *", "2026-12-01T18:31:00", "2026-12-01T18:50:00"),
        ("@daily", "2026-12-01T18:23:53", "2026-12-02T00:00:00"),
        ("@hourly", "2026-12-01T18:23:53", "2026-12-01T19:00:00"),
        ("@weekly", "2026-12-01T18:23:53", "2026-12-06T00:00:00"),
        ("@monthly", "2026-12-01T18:23:53", "2027-01-01T00:00:00"),
        ("@yearly", "2026-12-01T18:23:53", "2027-01-01T00:00:00"),
    ],
)
def test_cron_next_after(expr: str, after: str, expected: str) -> None:
    assert parse_cron(expr).next_after(_at(after)) == _at(expected)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("* * * *", "has 4 fields, not 5"),
        ("* * * * * *", "has 6 fields, not 5"),
        ("60 * * * *", "minute 60 is out of range 0-59"),
        ("* 24 * * *", "hour 24 is out of range 0-23"),
        ("* * 0 * *", "day-of-month 0 is out of range 1-31"),
        ("* * * 13 *", "month 13 is out of range 1-12"),
        ("* * * * 8", "day-of-week 8 is out of range 0-7"),
        ("* * * * funday", "day-of-week 'funday' is not a number or a name"),
        ("*/0 * * * *", "step '0' is not a whole number above zero"),
        ("5-1 * * * *", "range '5-1' runs backwards"),
        ("1,,2 * * * *", "empty list item"),
        ("0 0 30 2 *", "matches no date"),
        ("0 0 31 4,6,9,11 *", "matches no date"),
        ("@every", "has 1 fields"),
    ],
)
def test_a_bad_cron_is_a_config_error_naming_it(expr: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"--cron {expr!r}")) as raised:
        parse_cron(expr)
    assert message in str(raised.value)


FIELD = st.sampled_from(["*", "*/7", "0", "5-20", "1,2,30", "10-50/15"])
HOUR = st.sampled_from(["*", "*/5", "0", "9-17", "3,15,23"])
DOM = st.sampled_from(["*", "1", "13", "28-31", "*/10"])
MONTH = st.sampled_from(["*", "1", "2,3", "jun-aug", "*/4"])
DOW = st.sampled_from(["*", "0", "mon-fri", "sat,sun", "7"])


@given(FIELD, HOUR, DOM, MONTH, DOW,
       st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
def test_next_after_is_the_first_matching_minute(
    minute: str, hour: str, dom: str, month: str, dow: str, start: datetime
) -> None:
    """The answer matches, and nothing before it does: minute by minute on the first and
    last day, and the whole days between have no matching date (every day that does has
    matching minutes: no field is empty)."""
    cron = parse_cron(f"{minute} {hour} {dom} {month} {dow}")
    start = start.replace(tzinfo=UTC)
    found = cron.next_after(start)
    assert found > start and found.second == 0 and cron.matches(found)
    first_day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    last_day = found.replace(hour=0, minute=0)
    t = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t < min(found, first_day + timedelta(days=1)):
        assert not cron.matches(t), t
        t += timedelta(minutes=1)
    day = first_day + timedelta(days=1)
    while day < last_day:
        assert not (day.month in cron.months and cron.day_matches(day)), day
        day += timedelta(days=1)
    t = max(t, last_day)
    while t < found:
        assert not cron.matches(t), t
        t += timedelta(minutes=1)
