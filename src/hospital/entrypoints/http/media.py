"""Stored image names to the absolute URLs the original answered with."""

from __future__ import annotations

from litestar import Request


def media_prefix(request: Request) -> str:
    """What every stored name of this request's answer is appended to: worked out once per answer."""
    return f"{str(request.base_url).rstrip('/')}/media/"


def media_url(request: Request, name: str | None) -> str | None:
    if not name:
        return None
    return media_prefix(request) + name
