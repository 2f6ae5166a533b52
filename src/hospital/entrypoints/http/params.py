"""Query parameters shared by list routes, declared so the OpenAPI schema lists them."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

PageParam = Annotated[str | None, Parameter(query="page", description="Page number, from 1", required=False)]
LimitsParam = Annotated[
    str | None,
    Parameter(query="limits", description="Items per page (default 100, at most 1000)", required=False),
]
SearchParam = Annotated[str | None, Parameter(query="search", description="Case-insensitive substring",
                                              required=False, max_length=1000)]
