"""Read statements compiled once per dialect into the driver's own SQL, run without SQLAlchemy's
per-execution work.

SQLAlchemy spends 0.1-0.15 ms on each execution of even a cached statement (cache key, parameter
processing, result metadata, row objects); a page of ten doctors costs less than that in SQLite
itself. The read queries are still written with Core (tables, joins and quoting stay checked against
the schema), but each is compiled once per dialect and shape, and then only its SQL text and the
order of its parameters are used: values in, plain tuples out. The driver's values come back as
they are (SQLite answers 0/1 for booleans and text for dates), so each query's mapping converts.

A list of values is one parameter (``id_in``): ``= ANY($1)`` with an array on PostgreSQL and
``IN (SELECT value FROM json_each(?))`` with a JSON array on SQLite, so the SQL text does not change
with the list's length.

An aware ``datetime`` binds as what the column type ``UtcDateTime`` stores: as it is on PostgreSQL,
as SQLAlchemy's UTC text on SQLite (whose text comparison is then the instants' order).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Boolean, ColumnElement, literal_column, null, union_all
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import CompoundSelect, Executable, Select
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import _CompoundSelectKeyword
from sqlalchemy.sql.visitors import replacement_traverse

# Page sizes per query whose first page has its own statement (PreparedQuery.first_page).
FIRST_PAGE_SIZES = 8


class id_in(FunctionElement[bool]):
    """``column`` is one of the integers of the list bound to ``parameter``."""

    type = Boolean()
    inherit_cache = True
    # A condition as it is: else SQLite gets "(... IN ...) = 1", which no index can answer.
    _is_implicitly_boolean = True

    def __init__(self, column: ColumnElement[int], parameter: ColumnElement[Any]) -> None:
        super().__init__(column, parameter)


def _operands(element: id_in, compiler: Any, **kw: Any) -> tuple[str, str]:
    column, parameter = element.clauses.clauses
    return compiler.process(column, **kw), compiler.process(parameter, **kw)


@compiles(id_in)
def _any(element: id_in, compiler: Any, **kw: Any) -> str:
    column, parameter = _operands(element, compiler, **kw)
    return f"{column} = ANY({parameter})"


@compiles(id_in, "sqlite")
def _json_each(element: id_in, compiler: Any, **kw: Any) -> str:
    column, parameter = _operands(element, compiler, **kw)
    return f"{column} IN (SELECT value FROM json_each({parameter}))"  # noqa: S608 - compiled column and bind marker


class list_of(FunctionElement[Any]):
    """The values of a one-column subquery, in its order, as one value: a PostgreSQL array, or on
    SQLite a JSON array text (``decoded_list`` and ``decoded_tuple`` read either)."""

    inherit_cache = True

    def __init__(self, subquery: Select[Any]) -> None:
        only = subquery.with_only_columns(subquery.selected_columns[0].label("value"), maintain_column_froms=True)
        super().__init__(only.scalar_subquery())


@compiles(list_of)
def _array(element: list_of, compiler: Any, **kw: Any) -> str:
    return f"ARRAY{compiler.process(element.clauses.clauses[0], **kw)}"


@compiles(list_of, "sqlite")
def _json_group_array(element: list_of, compiler: Any, **kw: Any) -> str:
    subquery = compiler.process(element.clauses.clauses[0], **kw)
    return f"(SELECT json_group_array(value) FROM {subquery})"  # noqa: S608 - compiled subquery


_LIST = msgspec.json.Decoder(list)


def decoded_list(value: Any) -> list[Any]:
    return _LIST.decode(value) if isinstance(value, str) else list(value)


_TUPLE = msgspec.json.Decoder(tuple)


def decoded_tuple(value: Any) -> tuple[Any, ...]:
    """``decoded_list`` as a tuple, decoded as one (no list copied into it)."""
    return _TUPLE.decode(value) if isinstance(value, str) else tuple(value)


class _Compiled:
    __slots__ = ("defaults", "names", "sql")

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        # Values written into the statement itself (literal()); the named bindparams are required.
        self.defaults = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}


class PreparedQuery:
    __slots__ = ("_by_dialect", "_counted", "_first_pages", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}
        self._counted: tuple[PreparedQuery, PreparedQuery] | None = None
        self._first_pages: dict[int, PreparedQuery] | None = None

    def first_page(self, limit: int) -> PreparedQuery | None:
        """This page query with ``LIMIT limit OFFSET 0`` written into its SQL instead of bound, for the
        first FIRST_PAGE_SIZES sizes asked (None for any other: it binds them as before).

        PostgreSQL plans a statement whose LIMIT is a parameter anew at every execution: its generic
        plan assumes a tenth of the rows, so it never wins over a custom one (0.4 ms of planning for
        the reviews page's five tables, more than running it). With the numbers in the text, a
        statement without other parameters is planned once per connection, and one with them can
        settle on a generic plan. First pages are what most requests read; other pages, and sizes
        past the bound, keep one statement for all."""
        pages = self._first_pages
        if pages is None:
            pages = self._first_pages = {}
        query = pages.get(limit)
        if query is None and len(pages) < FIRST_PAGE_SIZES:
            query = pages[limit] = PreparedQuery(_with_numbers(self.statement, {"limit": limit, "offset": 0}))
        return query

    def counting(self, page: PreparedQuery) -> PreparedQuery:
        """``page`` with this query (a count) as its last column: a list's total and its rows in one
        statement, so one round trip on PostgreSQL. The count does not depend on the page's rows, so
        both databases compute it once per statement (PostgreSQL as an InitPlan, SQLite as a
        constant subquery). A simple page keeps its own ORDER BY: its rows come in its order. A
        compound (UNION ALL) has the total on its first part's rows and NULL on the others'."""
        counted = self._counted
        if counted is None or counted[0] is not page:
            counted = self._counted = (page, PreparedQuery(_with_total(page.statement, self.statement)))
        return counted[1]

    def _compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        return compiled

    def positions(self, dialect: Dialect) -> tuple[str, tuple[str, ...]]:
        """The SQL for ``dialect`` and the names of its parameters in order (an executemany's rows)."""
        compiled = self._compiled(dialect)
        return compiled.sql, compiled.names

    def bind(self, dialect: Dialect, parameters: Mapping[str, Any] | None = None) -> tuple[str, list[Any]]:
        """The SQL for ``dialect`` and its positional values, lists made the dialect's array form."""
        compiled = self._compiled(dialect)
        given = parameters or {}
        values = [given[name] if name in given else compiled.defaults[name] for name in compiled.names]
        if dialect.name == "sqlite":
            # Most values are the driver's already (a row's write binds a dozen): no call for those.
            values = [v if type(v) in _SQLITE_AS_IS else _sqlite_value(v) for v in values]
        return compiled.sql, values


def _with_total(page: Executable, count: Executable) -> Executable:
    if not isinstance(count, Select) or not isinstance(page, Select | CompoundSelect):
        raise TypeError("A counted page is a SELECT (or a compound of them) and a SELECT count")
    # Never correlated: the count's tables are its own, even where the page reads the same ones.
    total = count.correlate(None).scalar_subquery().label("total")
    if isinstance(page, Select):
        return page.add_columns(total)
    # A compound carries the total on its first part's rows and NULL on the others' (the column
    # must be in every part). Not a SELECT around the whole: SQLite runs that as one more
    # co-routine, every row of the page copied through it (a third of the statement for a page
    # of 1,000 doctors).
    if page.keyword is not _UNION_ALL or page._order_by_clauses or page._limit_clause is not None \
            or page._offset_clause is not None:
        raise TypeError("A counted compound is a plain UNION ALL: its parts keep their own order and limits")
    first, *others = page.selects
    if not isinstance(first, Select) or not all(isinstance(other, Select) for other in others):
        raise TypeError("A counted compound is a UNION ALL of SELECTs")
    return union_all(first.add_columns(total), *(other.add_columns(null()) for other in others))


def _with_numbers(statement: Executable, numbers: Mapping[str, int]) -> Executable:
    """``statement`` with the bind parameters named in ``numbers`` replaced by those integers."""
    def replace(element: Any) -> Any:
        if isinstance(element, BindParameter) and element.key in numbers:
            return literal_column(str(int(numbers[element.key])))
        return None

    return replacement_traverse(statement, {}, replace)


_UNION_ALL = _CompoundSelectKeyword.UNION_ALL
_SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format of DateTime on SQLite
# Exactly these types (not subclasses: an IntEnum or a str subclass goes through _sqlite_value) bind as they are.
_SQLITE_AS_IS = frozenset({str, int, float, bool, bytes, type(None)})


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return msgspec.json.encode(value).decode()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None).strftime(_SQLITE_INSTANT)
    return value


def bound(**candidates: Any) -> tuple[tuple[bool, ...], dict[str, Any]]:
    """Which of the optional ``candidates`` are given (None: not), in order, as the shape to pick
    the statement by, and the values to bind to it."""
    values = {name: value for name, value in candidates.items() if value is not None}
    return tuple(name in values for name in candidates), values


class QueryShapes:
    """Statements that differ only in which optional conditions apply: built and compiled once per
    shape (a tuple of flags the builder takes), so a request only binds values."""

    def __init__(self, build: Callable[..., Executable]) -> None:
        self._build = build
        self._shapes: dict[Hashable, PreparedQuery] = {}

    def __call__(self, *shape: Hashable) -> PreparedQuery:
        query = self._shapes.get(shape)
        if query is None:
            query = self._shapes[shape] = PreparedQuery(self._build(*shape))
        return query
