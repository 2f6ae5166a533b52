"""SQLAlchemy contact requests."""

from __future__ import annotations

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.entity_table import EntityTable, TransactionOwner
from hospital.adapters.sqlalchemy.tables.catalogue import contacts
from hospital.domain.contacts import Contact


class SqlAlchemyContactRepository(EntityTable[Contact]):
    def __init__(self, uow: TransactionOwner, reads: ReadRunner) -> None:
        super().__init__(uow, reads, Contact, contacts)
