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
