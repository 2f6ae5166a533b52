"""`page` and `limits` in, `{count, next, previous, results}` out, as the original paginates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Generic, TypeVar
from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar import Request

from hospital.application.pagination import InvalidPageError, Page, PageRequest
from hospital.entrypoints.http.filters import integer_value

T = TypeVar("T")
R = TypeVar("R")


class Paginated(msgspec.Struct, Generic[R]):
    count: int
    next: str | None
    previous: str | None
    results: Sequence[R]


def page_request(request: Request) -> PageRequest:
    params = request.query_params
    raw_page = params.get("page")
    try:
        page = int(raw_page) if raw_page not in (None, "") else 1
    except ValueError:
        raise InvalidPageError() from None
    # The document says `limits` is an integer (openapi.py); a value that is not one is refused by
    # name (the original fell back to the default size, which hid the client's mistake). Zero,
    # negative and oversized values still fall back or are capped, as the original did.
    limit = integer_value(request, "limits")
    return PageRequest.of(page, limit)


def _path(request: Request) -> str:
    path = request.url.path
    # Routing strips the trailing slash from scope["path"]; the links keep the one the client sent.
    raw_path = request.scope.get("raw_path") or b""
    if raw_path.split(b"?", 1)[0].endswith(b"/") and not path.endswith("/"):
        path += "/"
    return path


def _link_bases(base: str, query: bytes) -> tuple[str, str]:
    """The link without ``page``, and the prefix a page number completes."""
    # The client's own order, read from the raw query string: Litestar's parsed parameters do not
    # keep it stable from one request to the next, and links must not change under a client.
    pairs = [(k, v) for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if k != "page"]
    if not pairs:
        return base, f"{base}?page="
    first = f"{base}?{urlencode(pairs)}"
    return first, f"{first}&page="


# Clients page through the same few lists: their links are worked out once. Long query strings
# are not kept, so the cache stays small whatever clients send.
_cached_link_bases = lru_cache(maxsize=512)(_link_bases)
_CACHED_QUERY_BYTES = 256


def _links(request: Request) -> tuple[str, str]:
    base = str(request.base_url).rstrip("/") + _path(request)
    query = request.scope.get("query_string", b"")
    return (_cached_link_bases if len(query) <= _CACHED_QUERY_BYTES else _link_bases)(base, query)


def paginated(request: Request, page: Page[T], render: Callable[[T], R]) -> Paginated[R]:
    return paginated_results(request, page, [render(item) for item in page.items])


def paginated_results(request: Request, page: Page[object], results: Sequence[R]) -> Paginated[R]:
    """``page`` with its items already rendered as ``results``."""
    current = page.request.page
    previous = next_ = None
    if page.has_previous or page.has_next:
        first, numbered = _links(request)
        # The original drops `page` for the first page rather than writing page=1.
        if page.has_previous:
            previous = first if current == 2 else f"{numbered}{current - 1}"
        if page.has_next:
            next_ = f"{numbered}{current + 1}"
    return Paginated(
        count=page.total,
        next=next_,
        previous=previous,
        results=results,
    )
