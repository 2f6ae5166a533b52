"""Stored image names to the absolute URLs the original answered with."""

from __future__ import annotations

from litestar import Request


def media_url(request: Request, name: str | None) -> str | None:
    if not name:
        return None
    return f"{str(request.base_url).rstrip('/')}/media/{name}"
