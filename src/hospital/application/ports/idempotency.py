"""Idempotency records: the port the Idempotency-Key mechanism (application/idempotency.py) stores through."""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hospital.domain.errors import ConflictError

PENDING = 0  # the status of a record whose write committed and whose answer is not recorded yet


class KeyInUseError(ConflictError):
    """Another request with this key committed first (raised at the commit that loses)."""

    def __init__(self) -> None:
        super().__init__({"detail": ["A request with this Idempotency-Key was already made."]})


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    owner: str  # "user:<id>", or "address:<client address>" for an anonymous caller
    key: str
    fingerprint: str

    @classmethod
    def of(cls, owner: str, key: str, method: str, path: str, body: bytes) -> IdempotentRequest:
        digest = hashlib.sha256(b"\0".join((method.upper().encode(), path.rstrip("/").encode(), body)))
        return cls(owner=owner, key=key, fingerprint=digest.hexdigest())


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    """A key's record: the request's fingerprint and its answer (PENDING: not recorded yet)."""

    fingerprint: str
    status_code: int
    body: str
    created_at: datetime

    @property
    def pending(self) -> bool:
        return self.status_code == PENDING


# The request the current task's next committing unit of work records its key for (then cleared).
pending_request: ContextVar[IdempotentRequest | None] = ContextVar("pending_idempotent_request", default=None)


class IdempotencyRecords(Protocol):
    async def find(self, owner: str, key: str) -> StoredOutcome | None:
        """The key's record, if any (of any age)."""
        ...

    async def forget(self, owner: str, key: str) -> None:
        """Delete the key's record (one older than RETENTION)."""
        ...

    async def reserve(self, request: IdempotentRequest) -> None:
        """Insert the key's pending record in this unit's transaction; KeyInUseError (now or at the
        latest at commit) when another transaction holds the key."""
        ...

    async def complete(self, request: IdempotentRequest, status_code: int, body: str) -> None:
        """Record the answer: fills a pending record, or inserts one (a 409); never replaces an answer."""
        ...

    async def settle(self) -> None:
        """A write of nothing: once this unit commits, every write an earlier unit of this caller could
        have seen uncommitted has committed or failed (SQLite's group commit shows a unit the work
        released before it, not yet committed; elsewhere a unit sees committed work only)."""
        ...
