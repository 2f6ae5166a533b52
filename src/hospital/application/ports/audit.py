"""The audit log: where the use cases report who touched which patient's data (domain/audit.py).

Two ways in, by what the event is about:

- **A change** (``UnitOfWork.audit.append``): written in the unit of work's own transaction, so it
  is committed with the change or not at all. A change whose event cannot be written fails, and is
  rolled back: no change without its event.
- **Everything else** (``AuditLog.record``): reads, lists, refusals (403/404 attempts), logins and
  other authentication events. These change nothing, so they need not share a transaction; a store
  may buffer them (``HOSPITAL_AUDIT_READS``) and says how much a crash can lose.

What every store guarantees (SQL and in memory alike):

- Events are append-only: nothing changes or deletes a stored event, except ``prune``, which removes
  whole chains only, so what remains still verifies.
- Every event is sealed into a hash chain (domain/audit.py) whose events are written one at a time,
  in order, each after the previous one committed: a chain has no gaps and no forks, whatever the
  number of concurrent units of work, workers or processes. An event whose transaction rolls back
  leaves its chain as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hospital.application.pagination import Page, PageRequest
from hospital.domain.audit import AuditAction, AuditEntry, AuditEvent, AuditOutcome, VerificationReport


class AuditTrail(Protocol):
    """A unit of work's audit events (``uow.audit``): written in its transaction."""

    async def append(self, entry: AuditEntry) -> AuditEvent:
        """Seal ``entry`` and write it in this unit of work's transaction; it is stored if and only
        if the unit commits. Raises (and the unit must not commit) when it cannot be written. The
        creation of a record whose id the store gives only as the unit commits (a held booking:
        ``AppointmentRepository.book_slot``) is appended with no resource id; the store seals it with
        the id at commit, and the event returned here has no hash yet."""
        ...

    async def append_many(self, entries: Sequence[AuditEntry]) -> list[AuditEvent]:
        """``append`` of several entries, in order (a batch of buffered reads)."""
        ...


class AuditLog(Protocol):
    """Events that change nothing: reads, lists, refusals and authentication events."""

    async def record(self, entry: AuditEntry) -> None:
        """Store ``entry`` in a transaction of its own: at once (``sync``), or buffered and written
        within the store's flush interval (``batched``: a crash loses at most one interval's events).
        With reads ``off``, successful reads and lists are dropped; refusals and authentication
        events are always stored."""
        ...

    async def flush(self) -> None:
        """Write whatever is buffered now; returns when it is stored."""
        ...

    async def close(self) -> None:
        """Flush, then stop the background writer (at shutdown)."""
        ...


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which events an audit list shows; None is no condition."""

    patient_id: int | None = None
    user_id: int | None = None
    action: AuditAction | None = None
    outcome: AuditOutcome | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


class AuditEvents(Protocol):
    """Reading, verifying and pruning the stored log (administration; not in a unit of work)."""

    async def list(self, *, page: PageRequest, where: AuditFilter) -> Page[AuditEvent]:
        """Newest first (time, then id)."""
        ...

    async def verify(self) -> VerificationReport:
        """Every chain walked in ``seq`` order, from one consistent snapshot."""
        ...

    async def prune(self, *, before: datetime) -> int:
        """Delete every chain whose newest event is older than ``before`` (whole chains, so what
        remains verifies); the number of events deleted."""
        ...

    async def all_events(self) -> Sequence[AuditEvent]:
        """Every stored event, each chain's in ``seq`` order (tests, small logs)."""
        ...
