"""An in-process database for the in-memory adapters: tables of entities, ids, and transactions that
give the same guarantees as the SQL store's (docs/deployment.md, "Concurrency").

Transactions run side by side, as PostgreSQL's do. Each works on its own copy of the tables, taken
when it begins, and commits the rows it changed:

- A row's version is the committed object itself: every commit stores new copies of the rows it
  changed. A transaction may change or delete a row only if the committed row is still the one it
  read (checked by ``save``/``delete`` as the SQL repositories' UPDATE/DELETE do, and again for
  every changed row at commit); otherwise ``ConcurrentChangeError``, and nothing is written.
- The exclusion constraints of ``EXCLUSIONS`` (no two occupying appointments of a doctor, or of a
  patient, overlap) are checked at commit the same way.
- The unique constraints of ``UNIQUE`` are checked at commit against what is committed then, as
  the database's unique indexes are: of two transactions storing one username, the second to commit
  gets the same refusal the SQL adapter raises.
- ``claim`` is a row lock for keys a transaction must own to decide (a revoked token's id): a second
  claimant waits until the holder's transaction ends, then sees its outcome.
- A commit is one synchronous step on the event loop (no await inside), so it is atomic.

Ids come from sequences that are never rolled back, as in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import copy
from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Any

from hospital.application.errors import ConcurrentChangeError
from hospital.application.ports.catalogue import DuplicateDoctorError, DuplicateSlugError
from hospital.domain.doctor_schedules import DuplicateExceptionError
from hospital.domain.errors import ClashError, ConflictError, DomainError
from hospital.domain.patients import ALREADY_A_PATIENT, DUPLICATE_PHONE
from hospital.domain.profiles import PROFILE_EXISTS
from hospital.domain.reviews import AlreadyReviewedError
from hospital.domain.slots import PATIENT_BUSY, SLOT_TAKEN
from hospital.domain.users import username_taken

Tables = dict[str, dict[Any, Any]]

# table -> (the key a row must not share with another row, or None for no key; the refusal)
UNIQUE: dict[str, tuple[tuple[Callable[[Any], Hashable | None], Callable[[], DomainError]], ...]] = {
    "users": ((lambda user: user.username.lower(), username_taken),),
    "profiles": ((lambda profile: profile.user_id, lambda: ConflictError(PROFILE_EXISTS)),),
    "patients": (
        (lambda patient: patient.user_id, lambda: ConflictError(ALREADY_A_PATIENT)),
        (lambda patient: patient.phone, lambda: ConflictError.field("phone", DUPLICATE_PHONE)),
    ),
    "doctors": ((lambda doctor: doctor.user_id, DuplicateDoctorError),),
    "designations": ((lambda taxon: taxon.slug, lambda: DuplicateSlugError("designation")),),
    "specialisations": ((lambda taxon: taxon.slug, lambda: DuplicateSlugError("specialisation")),),
    "reviews": ((lambda review: (review.reviewer_id, review.doctor_id), AlreadyReviewedError),),
    "schedule_exceptions": ((lambda exception: (exception.doctor_id, exception.date), DuplicateExceptionError),),
}

# table -> (the attribute whose equal rows' intervals must not overlap, the refusal): the SQL store's
# exclusion constraints (migration 0005). A row takes part while its ``occupies_time`` is true; its
# interval is [starts_at, ends_at).
EXCLUSIONS: dict[str, tuple[tuple[str, Callable[[], DomainError]], ...]] = {
    "appointments": (
        ("doctor_id", lambda: ClashError.field("start", SLOT_TAKEN)),
        ("patient_id", lambda: ClashError.field("start", PATIENT_BUSY)),
    ),
}


def _content(row: Any) -> Any:
    """What a row holds, to tell a changed row from an unchanged one (SQLAlchemy's instrumentation,
    present when the mappers are started in the same process, is not content)."""
    if hasattr(row, "__dict__"):
        return {name: value for name, value in vars(row).items() if not name.startswith("_sa_")}
    return row


class InMemoryDatabase:
    """Shared by every unit of work made from it, like one real database is."""

    def __init__(self) -> None:
        self.tables: Tables = defaultdict(dict)  # committed rows
        self.sequences: dict[str, int] = defaultdict(int)
        self.claims: dict[tuple[str, Hashable], InMemoryTransaction] = {}
        # Moves with every commit, whatever it wrote: a cautious stand-in for the SQL triggers that
        # move a data version only when its own data changes.
        self.commits = 0
        # The audit log (memory/audit.py), append-only: kept apart from the tables, which every
        # transaction copies when it begins; a transaction's events join it when it commits.
        self.audit_events: list[Any] = []

    def table(self, name: str) -> dict[Any, Any]:
        """The committed rows of a table."""
        return self.tables[name]

    def next_id(self, name: str) -> int:
        self.sequences[name] += 1
        return self.sequences[name]

    def transaction(self) -> InMemoryTransaction:
        """A transaction on this database, begun by its ``begin()``."""
        return InMemoryTransaction(self)


class InMemoryTransaction:
    """One unit of work's view of the database: its own copy of the tables, and what it read."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self.db = db
        self._claimed: list[tuple[str, Hashable]] = []
        self._ended = asyncio.Event()
        self._waiting_for: InMemoryTransaction | None = None

    def begin(self) -> None:
        # What was read (the committed objects themselves) and the copy this transaction changes.
        self._read: Tables = {name: dict(rows) for name, rows in self.db.tables.items()}
        self.tables: Tables = defaultdict(dict, copy.deepcopy(self._read))
        self.audit_events: list[Any] = []  # this transaction's, stored if it commits

    @property
    def commits(self) -> int:
        return self.db.commits

    def table(self, name: str) -> dict[Any, Any]:
        return self.tables[name]

    def committed(self, name: str) -> dict[Any, Any]:
        """The rows committed now, by any transaction (this one's own changes not included)."""
        return self.db.table(name)

    def next_id(self, name: str) -> int:
        return self.db.next_id(name)

    def ensure_current(self, name: str, key: Any) -> None:
        """Refuse to change or delete a row that another transaction changed or deleted since this one read it."""
        read = self._read.get(name, {}).get(key)
        if read is not None and self.db.table(name).get(key) is not read:
            raise ConcurrentChangeError()

    async def claim(self, name: str, key: Hashable) -> None:
        """Own ``key`` of ``name`` until this transaction ends; wait while another transaction owns it."""
        while True:
            holder = self.db.claims.get((name, key))
            if holder is None or holder is self:
                break
            if holder._waits_for(self):  # each would wait for the other: as a database breaks a deadlock
                raise ConcurrentChangeError()
            self._waiting_for = holder
            try:
                await holder._ended.wait()
            finally:
                self._waiting_for = None
        if (name, key) not in self.db.claims:
            self.db.claims[(name, key)] = self
            self._claimed.append((name, key))

    def _waits_for(self, other: InMemoryTransaction) -> bool:
        waiting = self._waiting_for
        while waiting is not None:
            if waiting is other:
                return True
            waiting = waiting._waiting_for
        return False

    def commit(self) -> None:
        """Store what this transaction changed, all or nothing; it then goes on from the new state."""
        changes = self._changes()
        for name, key, _ in changes:
            self.ensure_current(name, key)
        self._check_unique(changes)
        for name, key, row in changes:
            committed = self.db.tables[name]
            if row is None:
                committed.pop(key, None)
            else:
                committed[key] = copy.deepcopy(row)
        self.db.audit_events.extend(self.audit_events)
        self.audit_events = []
        self.db.commits += 1
        self._release()
        self._read = {name: dict(rows) for name, rows in self.db.tables.items()}
        for name, key, row in changes:
            if row is not None:
                # The copy stays this transaction's: later changes to it must not reach the committed row.
                self._read[name][key] = self.db.tables[name][key]

    def rollback(self) -> None:
        self._release()
        self.begin()

    def end(self) -> None:
        self._release()

    def _release(self) -> None:
        for claim in self._claimed:
            self.db.claims.pop(claim, None)
        self._claimed.clear()
        # Waiters look again: the claims they waited on may be free now.
        self._ended.set()
        self._ended = asyncio.Event()

    def _changes(self) -> list[tuple[str, Any, Any]]:
        """(table, key, new row or None for deleted) for every row this transaction changed."""
        changes = []
        for name in set(self.tables) | set(self._read):
            read, mine = self._read.get(name, {}), self.tables.get(name, {})
            for key in read.keys() - mine.keys():
                changes.append((name, key, None))
            for key, row in mine.items():
                before = read.get(key)
                if before is None or _content(before) != _content(row):
                    changes.append((name, key, row))
        return changes

    def _check_unique(self, changes: list[tuple[str, Any, Any]]) -> None:
        written: dict[str, dict[Any, Any]] = defaultdict(dict)
        deleted: set[tuple[str, Any]] = set()
        for name, key, row in changes:
            if row is None:
                deleted.add((name, key))
            else:
                written[name][key] = row
        for name, rows in written.items():
            after = {key: row for key, row in self.db.tables[name].items() if (name, key) not in deleted}
            after.update(rows)
            for key_of, refusal in UNIQUE.get(name, ()):
                for key, row in rows.items():
                    value = key_of(row)
                    if value is not None and any(other != key and key_of(after[other]) == value for other in after):
                        raise refusal()
            for attribute, refusal in EXCLUSIONS.get(name, ()):
                for key, row in rows.items():
                    if row.occupies_time and any(
                            other != key and getattr(after[other], attribute) == getattr(row, attribute)
                            and after[other].occupies_time and after[other].starts_at < row.ends_at
                            and row.starts_at < after[other].ends_at for other in after):
                        raise refusal()


class InMemoryTable:
    """Base of the in-memory repositories: one table of the unit of work's transaction."""

    table_name: str

    def __init__(self, db: InMemoryTransaction) -> None:
        self._db = db

    @property
    def _rows(self) -> dict[int, Any]:
        return self._db.table(self.table_name)

    def _insert(self, entity: Any) -> None:
        entity.id = self._db.next_id(self.table_name)
        self._rows[entity.id] = entity

    def _store(self, entity: Any) -> None:
        """An UPDATE of the entity's row: refused if it changed since it was read."""
        self._db.ensure_current(self.table_name, entity.id)
        if entity.id not in self._rows:  # deleted since, by this transaction's own cascade
            raise ConcurrentChangeError()
        self._rows[entity.id] = entity

    def _remove(self, entity: Any) -> None:
        """A DELETE of the entity's row: refused if it changed or went since it was read."""
        self._db.ensure_current(self.table_name, entity.id)
        if self._rows.pop(entity.id, None) is None:
            raise ConcurrentChangeError()

    def _sorted(self) -> list[Any]:
        return [self._rows[key] for key in sorted(self._rows)]
