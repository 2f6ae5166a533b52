"""Clocks: the real one, and a fixed one that tests and embedding code move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """Stands still until told to move; always answers in UTC."""

    def __init__(self, now: datetime) -> None:
        self._now = _utc(now)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, now: datetime) -> None:
        self._now = _utc(now)


def _utc(moment: datetime) -> datetime:
    # A naive datetime has no defined instant; guessing the zone would hide bugs in callers.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("FixedClock needs a timezone-aware datetime.")
    return moment.astimezone(UTC)
