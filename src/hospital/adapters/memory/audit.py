"""The audit log in memory, with the SQL store's guarantees (application/ports/audit.py): a unit of
work's events are stored when its transaction commits and never otherwise, sealed on a lane it holds
until then; stored events are never changed, and pruned by whole chains only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hospital.adapters.audit_lanes import AuditLane, AuditLanes
from hospital.adapters.memory.database import InMemoryDatabase, InMemoryTransaction
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.audit import AuditFilter
from hospital.application.ports.clock import Clock
from hospital.domain.audit import AuditEntry, AuditEvent, VerificationReport, verify_events


class InMemoryAuditTrail:
    def __init__(self, transaction: InMemoryTransaction, lanes: AuditLanes, clock: Clock) -> None:
        self._transaction, self._lanes, self._clock = transaction, lanes, clock
        self._lane: AuditLane | None = None

    async def append(self, entry: AuditEntry) -> AuditEvent:
        (event,) = await self.append_many([entry])
        return event

    async def append_many(self, entries: Sequence[AuditEntry]) -> list[AuditEvent]:
        if self._lane is None:
            self._lane = self._lanes.lease()
        now = self._clock.now()
        events = self._lane.seal_many(entries, now)
        self._transaction.audit_events.extend(events)
        return events

    def end(self, *, committed: bool | None) -> None:
        lane, self._lane = self._lane, None
        if lane is not None:
            self._lanes.release(lane, committed=committed)


def _matches(event: AuditEvent, where: AuditFilter) -> bool:
    entry = event.entry
    return ((where.patient_id is None or where.patient_id in entry.patient_ids)
            and (where.user_id is None or entry.actor_user_id == where.user_id)
            and (where.action is None or entry.action == where.action)
            and (where.outcome is None or entry.outcome == where.outcome)
            and (where.since is None or event.recorded_at >= where.since)
            and (where.until is None or event.recorded_at < where.until))


class InMemoryAuditEvents:
    def __init__(self, db: InMemoryDatabase) -> None:
        self._db = db

    async def list(self, *, page: PageRequest, where: AuditFilter) -> Page[AuditEvent]:
        found = sorted((event for event in self._db.audit_events if _matches(event, where)),
                       key=lambda event: (event.recorded_at, event.id), reverse=True)
        return Page(items=found[page.offset:page.offset + page.limit], total=len(found), request=page)

    async def verify(self) -> VerificationReport:
        return verify_events(await self.all_events())

    async def prune(self, *, before: datetime) -> int:
        newest: dict[str, datetime] = {}
        for event in self._db.audit_events:
            newest[event.chain] = max(newest.get(event.chain, event.recorded_at), event.recorded_at)
        old = {chain for chain, moment in newest.items() if moment < before}
        kept = [event for event in self._db.audit_events if event.chain not in old]
        deleted = len(self._db.audit_events) - len(kept)
        self._db.audit_events[:] = kept
        return deleted

    async def all_events(self) -> Sequence[AuditEvent]:
        return sorted(self._db.audit_events, key=lambda event: (event.chain, event.seq))
