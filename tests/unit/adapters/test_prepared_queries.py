"""Read statements compiled once per dialect: SQL text that never changes with the values bound."""

from __future__ import annotations

from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite

from hospital.adapters.sqlalchemy.prepared import PreparedQuery, QueryShapes, bound, decoded_list, id_in, list_of
from hospital.adapters.sqlalchemy.tables import catalogue as t

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
