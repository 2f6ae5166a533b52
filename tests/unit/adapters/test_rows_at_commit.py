"""The SQLite writer inserts a group's ``insert_at_commit`` rows as multi-row INSERTs of a few shapes
(sqlite_writer.py's ``_chunk`` and ``_rows_at_once``)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.adapters.sqlalchemy.sqlite_writer import _MOST_ROWS_AT_ONCE, _chunk, _rows_at_once

ONE_ROW = "INSERT INTO t (a, b) VALUES (?, ?)"


def chunks(count: int) -> list[int]:
    sizes = []
    while count:
        sizes.append(_chunk(count))
        count -= sizes[-1]
    return sizes


@given(st.integers(min_value=1, max_value=2000))
def test_chunks_cover_every_row_in_few_shapes(count: int) -> None:
    sizes = chunks(count)
    assert sum(sizes) == count
    assert all(size <= _MOST_ROWS_AT_ONCE and size & (size - 1) == 0 for size in sizes)
    assert sizes == sorted(sizes, reverse=True)


def test_a_group_of_45_rows_is_four_inserts() -> None:
    assert chunks(45) == [32, 8, 4, 1]
    assert chunks(16) == [16]


def test_rows_at_once_repeats_the_values_tuple_and_sqlite_stores_each_row() -> None:
    sql = _rows_at_once(ONE_ROW, 3)
    assert sql == "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)"
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.execute("CREATE TABLE t (a, b)")
        connection.execute(sql, [1, "x", 2, "y", 3, None])
        assert connection.execute("SELECT a, b FROM t ORDER BY a").fetchall() == [(1, "x"), (2, "y"), (3, None)]


def test_a_statement_that_is_not_one_rows_insert_is_refused() -> None:
    with pytest.raises(ValueError, match="not one row's INSERT"):
        _rows_at_once("INSERT INTO t (a, b) SELECT a, b FROM s", 2)
