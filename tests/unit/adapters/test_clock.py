from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hospital.adapters.clock import FixedClock, SystemClock


def test_system_clock_is_aware_utc_and_current() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)

    assert now.tzinfo is UTC
    assert before <= now <= after


def test_fixed_clock_stands_still_until_advanced() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    clock = FixedClock(start)

    assert clock.now() == clock.now() == start
    clock.advance(timedelta(minutes=5))
    assert clock.now() == start + timedelta(minutes=5)
    clock.set(start)
    assert clock.now() == start


def test_fixed_clock_answers_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    clock = FixedClock(datetime(2030, 1, 1, 13, 0, tzinfo=paris))

    assert clock.now().tzinfo is UTC
    assert clock.now() == datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_fixed_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        FixedClock(datetime(2030, 1, 1))
    with pytest.raises(ValueError):
        FixedClock(datetime(2030, 1, 1, tzinfo=UTC)).set(datetime(2030, 1, 1))
