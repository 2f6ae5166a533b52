"""Read statements compiled once per dialect: SQL text that never changes with the values bound."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    literal_column,
    select,
    union,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.prepared import (
    FIRST_PAGE_SIZES,
    PreparedQuery,
    QueryShapes,
    bound,
    decoded_list,
    id_in,
    list_of,
)
from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.application.pagination import PageRequest

SQLITE = sqlite.pysqlite.dialect()
POSTGRES = postgresql.asyncpg.dialect()
LINKS = t.doctor_designations


def test_a_list_of_ids_is_one_parameter_whatever_its_length():
    query = PreparedQuery(select(LINKS.c.doctor_id).where(id_in(LINKS.c.designation_id, bindparam("ids"))))
    short_sql, short = query.bind(SQLITE, {"ids": [1]})
    long_sql, long = query.bind(SQLITE, {"ids": list(range(500))})
    assert short_sql == long_sql and "json_each(?)" in short_sql
    assert short == ["[1]"] and long == [f"[{','.join(str(n) for n in range(500))}]"]
    pg_sql, pg_values = query.bind(POSTGRES, {"ids": [1, 2]})
    assert "= ANY($1)" in pg_sql and pg_values == [[1, 2]]


def test_a_condition_is_not_compared_with_1_on_sqlite():
    """`(x IN (...)) = 1` hides the index from SQLite's planner; the construct is a condition as is."""
    query = PreparedQuery(select(LINKS.c.doctor_id).where(id_in(LINKS.c.designation_id, bindparam("ids"))))
    sql, _ = query.bind(SQLITE, {"ids": []})
    assert ") = 1" not in sql


def test_values_follow_the_statements_own_order_and_literals_need_no_value():
    query = PreparedQuery(
        select(literal_column("'x'"), t.doctors.c.id)
        .where(t.doctors.c.fee == bindparam("fee"), t.doctors.c.id > bindparam("after"))
        .limit(bindparam("limit"))
    )
    sql, values = query.bind(SQLITE, {"limit": 10, "after": 3, "fee": 500})
    # SQLite's dialect writes LIMIT ? OFFSET ? and binds the 0 itself: a value of the statement's own.
    assert values == [500, 3, 10, 0]
    assert sql.count("?") == 4


def test_list_of_reads_either_dialects_answer():
    query = PreparedQuery(select(list_of(select(LINKS.c.designation_id).where(LINKS.c.doctor_id == t.doctors.c.id)
                                         .order_by(LINKS.c.designation_id))))
    assert "json_group_array" in query.bind(SQLITE)[0]
    assert "ARRAY(" in query.bind(POSTGRES)[0]
    assert decoded_list("[3, 1]") == [3, 1]
    assert decoded_list([3, 1]) == [3, 1]
    assert decoded_list("[]") == []


def test_bound_names_the_shape_and_keeps_only_given_values():
    assert bound(a=1, b=None, c=0) == ((True, False, True), {"a": 1, "c": 0})


def test_each_shape_is_built_and_compiled_once():
    built = []

    def build(with_fee: bool):
        built.append(with_fee)
        query = select(t.doctors.c.id)
        return query.where(t.doctors.c.fee == bindparam("fee")) if with_fee else query

    shapes = QueryShapes(build)
    assert shapes(True) is shapes(True)
    assert shapes(False) is not shapes(True)
    assert built == [True, False]


_ROWS = Table("counted_rows", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))
_OTHERS = Table("counted_others", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))


def _counted_compound() -> PreparedQuery:
    page = select(_ROWS.c.id, _ROWS.c.name).order_by(_ROWS.c.id).limit(bindparam("limit")).offset(bindparam("offset"))
    names = select(_OTHERS.c.id, _OTHERS.c.name)
    count = PreparedQuery(select(func.count()).select_from(_ROWS))
    return count.counting(PreparedQuery(union_all(select(page.subquery()), names)))


def test_a_counted_compound_has_the_total_on_its_first_parts_rows_only():
    """No SELECT around the compound (on SQLite one more co-routine copying every row): the first
    part carries the total, the other parts NULL, and the count is computed once."""
    database = sqlite3.connect(":memory:")
    database.executescript(
        "CREATE TABLE counted_rows (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE counted_others (id INTEGER PRIMARY KEY, name TEXT);"
        "INSERT INTO counted_rows VALUES (1, 'a'), (2, 'b'), (3, 'c');"
        "INSERT INTO counted_others VALUES (7, 'x');"
    )
    sql, values = _counted_compound().bind(SQLITE, {"limit": 2, "offset": 1})
    assert sorted(database.execute(sql, values).fetchall()) == [(2, "b", 3), (3, "c", 3), (7, "x", None)]
    assert sql.count("count(*)") == 1 and sql.count("FROM (SELECT") == 1
    pg_sql, _ = _counted_compound().bind(POSTGRES, {"limit": 2, "offset": 1})
    assert pg_sql.count("count(*)") == 1 and pg_sql.count("FROM (SELECT") == 1


@pytest.mark.parametrize("compound", [
    union(select(_ROWS.c.id), select(_OTHERS.c.id)),  # UNION removes duplicates, the total's rows included
    union_all(select(_ROWS.c.id), select(_OTHERS.c.id)).limit(5),  # a limit of the whole would cut the total off
])
def test_a_counted_compound_is_a_plain_union_all(compound):
    count = PreparedQuery(select(func.count()).select_from(_ROWS))
    with pytest.raises(TypeError):
        count.counting(PreparedQuery(compound))


def _counted_page() -> PreparedQuery:
    page = (select(_ROWS.c.id, _ROWS.c.name).where(_ROWS.c.name != bindparam("not_named")).order_by(_ROWS.c.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))
    return PreparedQuery(select(func.count()).select_from(_ROWS)).counting(PreparedQuery(page))


def test_a_first_page_has_its_limit_in_its_text_and_binds_the_rest():
    """PostgreSQL plans a parameterised LIMIT at every execution; a first page's own statement has none."""
    query = _counted_page()
    first = query.first_page(2)
    assert first is not None and first is query.first_page(2)
    pg_sql, pg_values = first.bind(POSTGRES, {"not_named": "b", "limit": 2, "offset": 0})
    assert pg_sql.endswith("LIMIT 2 OFFSET 0") and "$2" not in pg_sql and pg_values == ["b"]
    database = sqlite3.connect(":memory:")
    database.executescript("CREATE TABLE counted_rows (id INTEGER PRIMARY KEY, name TEXT);"
                           "INSERT INTO counted_rows VALUES (1, 'a'), (2, 'b'), (3, 'c');")
    sql, values = first.bind(SQLITE, {"not_named": "b", "limit": 2, "offset": 0})
    bound_sql, bound_values = query.bind(SQLITE, {"not_named": "b", "limit": 2, "offset": 0})
    assert database.execute(sql, values).fetchall() == database.execute(bound_sql, bound_values).fetchall() == [
        (1, "a", 3), (3, "c", 3)]


def test_a_compounds_first_page_has_its_parts_limits_in_its_text():
    first = _counted_compound().first_page(2)
    assert first is not None
    pg_sql, pg_values = first.bind(POSTGRES, {"limit": 2, "offset": 0})
    assert "LIMIT 2 OFFSET 0" in pg_sql and "$" not in pg_sql and pg_values == []


def test_first_pages_of_only_so_many_sizes_get_their_own_statement():
    query = _counted_page()
    for limit in range(1, FIRST_PAGE_SIZES + 1):
        assert query.first_page(limit) is not None
    assert query.first_page(FIRST_PAGE_SIZES + 1) is None
    assert query.first_page(1) is not None


class _Recorded(ReadRunner):
    numbered_first_pages = True

    def __init__(self) -> None:
        self.sql: list[str] = []

    async def rows(self, query, parameters=None):
        sql, _ = query.bind(POSTGRES, parameters)
        self.sql.append(sql)
        return [(1, "a", 3)]


@pytest.mark.parametrize(("page", "numbered"), [(1, True), (2, False)])
async def test_a_counted_first_page_runs_its_own_statement_where_the_reader_asks(page, numbered):
    reads = _Recorded()
    count = PreparedQuery(select(func.count()).select_from(_ROWS))
    rows = PreparedQuery(select(_ROWS.c.id, _ROWS.c.name).order_by(_ROWS.c.id).limit(bindparam("limit"))
                         .offset(bindparam("offset")))

    assert await reads.counted_page(count, rows, {}, PageRequest(page=page, limit=1)) == (3, [(1, "a")])
    assert ("LIMIT 1 OFFSET 0" in reads.sql[0]) is numbered and ("LIMIT $1" in reads.sql[0]) is not numbered
