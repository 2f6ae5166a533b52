"""SQLAlchemy contact requests."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hospital.adapters.sqlalchemy.entity_table import EntityTable
from hospital.adapters.sqlalchemy.tables.catalogue import contacts
from hospital.domain.contacts import Contact


class SqlAlchemyContactRepository(EntityTable[Contact]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, Contact, contacts)
