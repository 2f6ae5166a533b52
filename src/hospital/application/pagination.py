"""Page requests and pages, as the original's `page` / `limits` pagination works."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from hospital.domain.errors import NotFoundError

T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# No list can reach this page: ids are 32-bit. Bounding it keeps offsets within what databases accept.
MAX_PAGE = 2**31


class InvalidPageError(NotFoundError):
    """A page number that is not a page of this list: 404 ``Invalid page.``, as the original answered."""

    default_message = "Invalid page."


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page of a list, and how many items per page (``of`` clamps what a client sends)."""

    page: int = 1
    limit: int = DEFAULT_LIMIT

    @classmethod
    def of(cls, page: int | None = None, limit: int | None = None) -> PageRequest:
        """Out-of-range values behave like the original: a bad page is 404, limits are clamped."""
        if page is None:
            page = 1
        if not 1 <= page <= MAX_PAGE:
            raise InvalidPageError()
        if limit is None or limit < 1:
            limit = DEFAULT_LIMIT
        return cls(page=page, limit=min(limit, MAX_LIMIT))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its items, the total count, and the request it answers."""

    items: Sequence[T]
    total: int
    request: PageRequest

    def __post_init__(self) -> None:
        if self.request.page > 1 and self.request.offset >= self.total:
            raise InvalidPageError()

    @property
    def has_next(self) -> bool:
        return self.request.offset + len(self.items) < self.total

    @property
    def has_previous(self) -> bool:
        return self.request.page > 1
