"""What the audit log recorded during a test step: the entries stored since the last look."""

from __future__ import annotations

from hospital.bootstrap import Container
from hospital.domain.audit import AuditEntry


class AuditWatch:
    def __init__(self, container: Container) -> None:
        self._container = container
        self._seen: set[str] = set()

    async def _events(self) -> list:
        await self._container.audit_log().flush()
        return list(await self._container.audit_events().all_events())

    async def start(self) -> AuditWatch:
        self._seen = {event.id for event in await self._events()}
        return self

    async def new(self) -> list[AuditEntry]:
        """Entries stored since the last look (``start`` or ``new``), in the order they were written."""
        fresh = [event for event in await self._events() if event.id not in self._seen]
        self._seen |= {event.id for event in fresh}
        fresh.sort(key=lambda event: (event.recorded_at, event.chain, event.seq))
        return [event.entry for event in fresh]

    async def one(self) -> AuditEntry:
        entries = await self.new()
        assert len(entries) == 1, entries
        return entries[0]
