"""utc_datetime turns what either driver answers for a UtcDateTime column into the aware UTC datetime
the read models hold, whatever shape the value comes in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from hospital.adapters.sqlalchemy.read_values import utc_datetime

MOMENT = datetime(2026, 12, 4, 13, 35, 7, 123456, tzinfo=UTC)
WHOLE_SECOND = datetime(2026, 12, 4, 13, 35, 7, tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [
    # SQLite: naive UTC text, with and without microseconds, as stored and as ISO with a T
    ("2026-12-04 13:35:07.123456", MOMENT),
    ("2026-12-04 13:35:07", WHOLE_SECOND),
    ("2026-12-04T13:35:07.123456", MOMENT),
    # text that carries its own offset
    ("2026-12-04 13:35:07.123456+00:00", MOMENT),
    ("2026-12-04T15:35:07.123456+02:00", MOMENT),
    ("2026-12-04T13:35:07.123456Z", MOMENT),
    # a date alone is midnight UTC
    ("2026-12-04", datetime(2026, 12, 4, tzinfo=UTC)),
    # SQLite through a DateTime column: naive datetimes
    (datetime(2026, 12, 4, 13, 35, 7, 123456), MOMENT),
    # PostgreSQL (asyncpg): aware, in UTC or in another zone
    (MOMENT, MOMENT),
    (datetime(2026, 12, 4, 8, 35, 7, 123456, tzinfo=timezone(timedelta(hours=-5))), MOMENT),
    (datetime(2026, 12, 4, 13, 35, 7, tzinfo=timezone(timedelta(0))), WHOLE_SECOND),
])
def test_every_shape_becomes_the_same_aware_utc_value(value: object, expected: datetime) -> None:
    converted = utc_datetime(value)

    assert converted == expected
    assert converted.tzinfo is UTC
    assert msgspec.json.encode(converted) == msgspec.json.encode(expected)
    assert converted.isoformat() == expected.isoformat()


def test_an_aware_utc_value_is_answered_as_it_is() -> None:
    assert utc_datetime(MOMENT) is MOMENT


def test_text_that_is_no_date_is_refused() -> None:
    with pytest.raises(ValueError):
        utc_datetime("yesterday")
