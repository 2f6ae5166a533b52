"""The text an instant is stored as on SQLite (schedules.py ``sqlite_instant_text``) is SQLAlchemy's
DateTime storage format exactly, for every time, so rows written by a prepared statement and by the
ORM compare and read back alike."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from hospital.adapters.sqlalchemy.schedules import sqlite_instant_text


@given(st.datetimes())
def test_the_stored_text_is_sqlalchemys_format(moment: datetime):
    assert sqlite_instant_text(moment) == moment.strftime("%Y-%m-%d %H:%M:%S.%f")
