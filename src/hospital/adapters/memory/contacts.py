"""In-memory contact requests."""

from __future__ import annotations

from hospital.adapters.memory.database import InMemoryTable
from hospital.domain.contacts import Contact


class InMemoryContactRepository(InMemoryTable):
    table_name = "contacts"

    async def add(self, contact: Contact) -> None:
        self._insert(contact)

    async def get(self, contact_id: int) -> Contact | None:
        return self._rows.get(contact_id)

    async def save(self, contact: Contact) -> None:
        self._store(contact)

    async def delete(self, contact: Contact) -> None:
        self._remove(contact)
