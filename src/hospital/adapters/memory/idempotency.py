"""In-memory idempotency records, with the SQL store's rule: a key's record commits with its write,
and only one transaction can commit a key."""

from __future__ import annotations

from datetime import UTC, datetime

from hospital.adapters.memory.database import InMemoryTable
from hospital.application.ports.idempotency import PENDING, IdempotentRequest, KeyInUseError, StoredOutcome

RECORDS = "idempotency_records"


class InMemoryIdempotencyRecords(InMemoryTable):
    table_name = RECORDS

    async def find(self, owner: str, key: str) -> StoredOutcome | None:
        return self._db.committed(RECORDS).get((owner, key)) or self._rows.get((owner, key))

    async def forget(self, owner: str, key: str) -> None:
        self._rows.pop((owner, key), None)

    async def settle(self) -> None:
        """Nothing to wait for: the memory database shows committed work only."""

    async def reserve(self, request: IdempotentRequest) -> None:
        self._put(request, PENDING, "")

    def taken_since_read(self) -> bool:
        """Whether a key this transaction reserved was committed by another meanwhile (checked at commit)."""
        committed = self._db.committed(RECORDS)
        return any(key in committed and committed[key] is not row and row.pending
                   for key, row in self._rows.items())

    async def complete(self, request: IdempotentRequest, status_code: int, body: str) -> None:
        found = self._rows.get((request.owner, request.key))
        if found is None or found.pending:
            self._put(request, status_code, body)

    def _put(self, request: IdempotentRequest, status_code: int, body: str) -> None:
        self._rows[(request.owner, request.key)] = StoredOutcome(request.fingerprint, status_code, body,
                                                                 datetime.now(UTC))


__all__ = ["InMemoryIdempotencyRecords", "KeyInUseError"]
