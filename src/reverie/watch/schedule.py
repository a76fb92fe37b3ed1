"""When ``reverie watch`` ticks: a fixed period (``--every``) or a cron expression (``--cron``).

``--every`` takes a whole number and a unit: ``30s``, ``5m``, ``1h``, ``1d``.
The first tick is at once; then one every period, counted from the first
(a tick that ran past the next one's time skips it rather than piling up).

``--cron`` takes the five standard fields, in UTC::

    minute  hour  day-of-month  month  day-of-week
    0-59    0-23  1-31          1-12   0-7 (0 and 7 are Sunday)

Each field is ``*``, a value, a range ``a-b``, a step ``*/n`` or ``a-b/n`` (and
``a/n``: from ``a`` to the field's end), or a comma-separated list of those.
Months and days of the week may be named (``jan``, ``mon-fri``). As in Vixie
cron, when both day fields are restricted (neither starts with ``*``), a day
matches either; otherwise both must match. ``@hourly``, ``@daily``
(``@midnight``), ``@weekly``, ``@monthly`` and ``@yearly`` (``@annually``) are
the usual shorthands. The first tick is at the first matching minute after
the start.

A value that is not one of these is a :class:`~reverie.errors.ConfigError`
naming it (and the field).

>>> cron = parse_cron("*/15 9-17 * * mon-fri")
>>> cron.next_after(datetime(2026, 12, 4, 17, 50, tzinfo=UTC)).isoformat()
'2026-12-07T09:00:00+00:00'
>>> parse_every("5m").seconds
300
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from reverie.errors import ConfigError

__all__ = ["Cron", "Every", "Schedule", "parse_cron", "parse_every", "parse_schedule"]

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"([0-9]+)([smhd])")

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    first_name: int = 0  # the value of names[0]


FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, MONTHS, 1),
    _Field("day-of-week", 0, 7, DAYS, 0),
)
SEARCH_YEARS = 9  # a 29 February can be 8 years away (2096 -> 2104)


class Schedule(Protocol):
    """When the ticks are: the first one, and each one after a tick that was due."""

    @property
    def text(self) -> str: ...

    def first(self, now: datetime) -> datetime: ...

    def following(self, due: datetime, now: datetime) -> datetime: ...


@dataclass(frozen=True)
class Every:
    """A tick every ``seconds``, the first at once."""

    seconds: int
    text: str

    def first(self, now: datetime) -> datetime:
        return now

    def following(self, due: datetime, now: datetime) -> datetime:
        """The first ``due + k * period`` after ``now`` (k >= 1): missed ticks are skipped."""
        period = timedelta(seconds=self.seconds)
        missed = max(0, int((now - due) / period))
        return due + period * (missed + 1)


def parse_every(text: str) -> Every:
    """``30s``, ``5m``, ``1h``, ``1d`` (a whole number above zero and one unit)."""
    found = _EVERY.fullmatch(text.strip().lower())
    if found is None or int(found.group(1)) == 0:
        raise ConfigError(
            f"--every {text!r} is not a period: use a whole number above zero followed by "
            "s, m, h or d (30s, 5m, 1h, 1d)"
        )
    return Every(int(found.group(1)) * UNITS[found.group(2)], text)


@dataclass(frozen=True)
class Cron:
    """A parsed five-field cron expression (see the module docstring); times in UTC."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday .. 6 = Saturday
    any_day: bool  # the day-of-month field starts with '*'
    any_weekday: bool  # the day-of-week field starts with '*'

    def day_matches(self, when: datetime) -> bool:
        in_month = when.day in self.days
        in_week = (when.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def matches(self, when: datetime) -> bool:
        return (
            when.minute in self.minutes
            and when.hour in self.hours
            and when.month in self.months
            and self.day_matches(when)
        )

    def next_after(self, when: datetime) -> datetime:
        """The first matching minute strictly after ``when`` (UTC)."""
        t = when.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t + timedelta(days=366 * SEARCH_YEARS)
        while t < limit:
            if t.month not in self.months:
                t = _next_month(t)
            elif not self.day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t += timedelta(minutes=1)
            else:
                return t
        raise ConfigError(f"--cron {self.text!r} matches no date (e.g. 30 February)")

    def first(self, now: datetime) -> datetime:
        return self.next_after(now)

    def following(self, due: datetime, now: datetime) -> datetime:
        return self.next_after(max(due, now))


def _next_month(t: datetime) -> datetime:
    year, month = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
    return t.replace(year=year, month=month, day=1, hour=0, minute=0)


def _value(text: str, field: _Field, expr: str) -> int:
    word = text.lower()
    if field.names and word in field.names:
        return field.names.index(word) + field.first_name
    if not text.isdigit() or not text.isascii():
        raise ConfigError(f"--cron {expr!r}: {field.name} {text!r} is not a number"
                          + (f" or a name ({field.names[0]}, ...)" if field.names else ""))
    value = int(text)
    if not field.low <= value <= field.high:
        raise ConfigError(
            f"--cron {expr!r}: {field.name} {value} is out of range {field.low}-{field.high}"
        )
    return value


def _item(item: str, field: _Field, expr: str) -> set[int]:
    """One comma-separated item: ``*``, ``a``, ``a-b``, each optionally ``/step``."""
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or not step_text.isascii() or int(step_text) == 0:
            raise ConfigError(f"--cron {expr!r}: {field.name} step {step_text!r} is not a "
                              "whole number above zero")
        step = int(step_text)
    if base == "*":
        low, high = field.low, field.high
    elif "-" in base:
        start, _, end = base.partition("-")
        low, high = _value(start, field, expr), _value(end, field, expr)
        if low > high:
            raise ConfigError(f"--cron {expr!r}: {field.name} range {base!r} runs backwards")
    else:
        low = _value(base, field, expr)
        high = field.high if slash else low
    return set(range(low, high + 1, step))


def _field(text: str, field: _Field, expr: str) -> frozenset[int]:
    if not text:
        raise ConfigError(f"--cron {expr!r}: {field.name} is empty")
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ConfigError(f"--cron {expr!r}: {field.name} {text!r} has an empty list item")
        values |= _item(item, field, expr)
    return frozenset(values)


def parse_cron(text: str) -> Cron:
    """Parse a five-field cron expression or a shorthand (see the module docstring)."""
    expanded = MACROS.get(text.strip().lower(), text)
    parts = expanded.split()
    if len(parts) != 5:
        raise ConfigError(
            f"--cron {text!r} has {len(parts)} fields, not 5: minute hour day-of-month month "
            'day-of-week, e.g. "0 3 * * *" (every day at 03:00 UTC)'
        )
    minutes, hours, days, months, weekdays = (
        _field(part, field, text) for part, field in zip(parts, FIELDS, strict=True)
    )
    cron = Cron(
        text=text,
        minutes=minutes,
        hours=hours,
        days=days,
        months=months,
        weekdays=frozenset(d % 7 for d in weekdays),
        any_day=parts[2].startswith("*"),
        any_weekday=parts[4].startswith("*"),
    )
    _check_reachable(cron)
    return cron


def _check_reachable(cron: Cron) -> None:
    """A day-of-month no chosen month has (``0 0 31 4 *``) never matches: say so now."""
    if not (cron.any_weekday and not cron.any_day):
        return
    longest = max(calendar.monthrange(2000, m)[1] for m in cron.months)  # 2000: 29 February
    if min(cron.days) > longest:
        raise ConfigError(f"--cron {cron.text!r} matches no date: no chosen month has day "
                          f"{min(cron.days)}")


def parse_schedule(every: str | None, cron: str | None) -> Schedule:
    """The ``--every``/``--cron`` pair: at most one of them; every hour when neither is given."""
    if every is not None and cron is not None:
        raise ConfigError("give --every or --cron, not both")
    if cron is not None:
        return parse_cron(cron)
    return parse_every(every if every is not None else "1h")
