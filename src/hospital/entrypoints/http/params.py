"""Query parameters shared by list routes, declared so the OpenAPI schema lists them.

They are typed as strings on purpose: the original answers a bad `page` with 404 "Invalid page."
and ignores a bad `limits`, so parsing happens in pagination.py rather than in Litestar.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

PageParam = Annotated[str | None, QueryParameter(name="page", description="Page number, from 1", required=False)]
LimitsParam = Annotated[
    str | None,
    QueryParameter(name="limits", description="Items per page (default 100, at most 1000)", required=False),
]
SearchParam = Annotated[
    str | None,
    QueryParameter(name="search", description="Case-insensitive substring", required=False, max_length=1000),
]

# Patterns that document exactly what the id filters accept, so clients (and the schema fuzzer)
# know which values answer 400. Whitespace is what Python's str.strip() removes, spelled out
# because JSON Schema's \s is ECMA's and differs from Python's in a few characters.
PY_SPACE = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
# filters.py: stripped, then ASCII digits with an optional sign; blank is no filter.
INTEGER_FILTER_PATTERN = f"^{PY_SPACE}*(?:[+-]?[0-9]+{PY_SPACE}*)?$"
# id_filters.py: the same with at most 30 digits.
ID_FILTER_PATTERN = f"^{PY_SPACE}*(?:[+-]?[0-9]{{1,30}}{PY_SPACE}*)?$"
