"""SQLAlchemy idempotency records: prepared statements run in the unit of work's transaction
(``write``: the driver's or the session's), so a key's record commits with the write it answers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, select, text, update

from hospital.adapters.sqlalchemy.direct_reads import Reads
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.adapters.sqlalchemy.schedules import read_instant, stored_instant
from hospital.adapters.sqlalchemy.tables.scheduling import idempotency_records as r
from hospital.application.ports.idempotency import PENDING, IdempotentRequest, StoredOutcome

_KEY = (r.c.owner == bindparam("owner")) & (r.c.key == bindparam("key"))
_FIND = PreparedQuery(select(r.c.fingerprint, r.c.status_code, r.c.body, r.c.created_at).where(_KEY))
# Every statement answers rows (RETURNING): the unit's ``write`` reads them.
_FORGET = PreparedQuery(delete(r).where(_KEY).returning(r.c.owner))
_RESERVE = PreparedQuery(text(
    "INSERT INTO idempotency_records (owner, key, fingerprint, status_code, body, created_at) "
    "VALUES (:owner, :key, :fingerprint, :status_code, :body, :created_at) RETURNING owner"))
_FILL = PreparedQuery(
    update(r).where(_KEY, r.c.status_code == PENDING)
    .values(status_code=bindparam("status_code"), body=bindparam("body")).returning(r.c.owner))
# A 409's record, made after the refused transaction: the first record of the key stays.
_INSERT_IF_ABSENT = PreparedQuery(text(
    "INSERT INTO idempotency_records (owner, key, fingerprint, status_code, body, created_at) "
    "VALUES (:owner, :key, :fingerprint, :status_code, :body, :created_at) ON CONFLICT (owner, key) DO NOTHING "
    "RETURNING owner"))

# Matches no row: a unit that runs it joins the writer's next COMMIT (SQLite's group commit).
_SETTLE = PreparedQuery(delete(r).where(text("1 = 0")).returning(r.c.owner))


class Writer(Protocol):
    async def write(self, query: PreparedQuery, parameters: Mapping[str, Any]) -> list[Any]: ...

    @property
    def dialect_name(self) -> str: ...


class SqlAlchemyIdempotencyRecords:
    def __init__(self, uow: Writer, reads: Reads) -> None:
        self._uow, self._reads = uow, reads

    def _values(self, request: IdempotentRequest, status_code: int, body: str) -> dict[str, Any]:
        return {"owner": request.owner, "key": request.key, "fingerprint": request.fingerprint,
                "status_code": status_code, "body": body,
                "created_at": stored_instant(self._uow.dialect_name, datetime.now(UTC))}

    async def find(self, owner: str, key: str) -> StoredOutcome | None:
        row = await self._reads.first(_FIND, {"owner": owner, "key": key})
        if row is None:
            return None
        fingerprint, status_code, body, created_at = row
        return StoredOutcome(fingerprint, status_code, body, read_instant(created_at))

    async def forget(self, owner: str, key: str) -> None:
        await self._uow.write(_FORGET, {"owner": owner, "key": key})

    async def settle(self) -> None:
        await self._uow.write(_SETTLE, {})

    async def reserve(self, request: IdempotentRequest) -> None:
        await self._uow.write(_RESERVE, self._values(request, PENDING, ""))

    async def complete(self, request: IdempotentRequest, status_code: int, body: str) -> None:
        filled = await self._uow.write(_FILL, {"owner": request.owner, "key": request.key,
                                               "status_code": status_code, "body": body})
        if not filled:
            await self._uow.write(_INSERT_IF_ABSENT, self._values(request, status_code, body))
