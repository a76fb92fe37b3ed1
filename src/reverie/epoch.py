"""Times as epoch milliseconds, the way both stores keep them and evaluation compares them.

>>> from datetime import UTC, datetime
>>> to_ms(datetime(2024, 5, 1, tzinfo=UTC))
1714521600000
>>> from_ms(1714521600000)
datetime.datetime(2024, 5, 1, 0, 0, tzinfo=datetime.timezone.utc)
>>> to_ms(None) is None and from_ms(None) is None
True
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["from_ms", "to_ms"]


def to_ms(value: datetime | None) -> int | None:
    """``value`` as whole milliseconds since the epoch (``None`` stays ``None``)."""
    return None if value is None else int(value.timestamp() * 1000)


def from_ms(value: int | None) -> datetime | None:
    """Epoch milliseconds as an aware UTC datetime (``None`` stays ``None``)."""
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)
