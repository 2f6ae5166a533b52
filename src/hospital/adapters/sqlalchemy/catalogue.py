"""SQLAlchemy catalogue repositories: doctors, designations, specialisations, available times, services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, delete, exists, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from hospital.adapters.sqlalchemy.database_errors import flush
from hospital.adapters.sqlalchemy.dialects import insert_ignoring_duplicates
from hospital.adapters.sqlalchemy.direct_reads import ReadRunner, Reads, SessionOwner
from hospital.adapters.sqlalchemy.entity_table import EntityTable, TransactionOwner
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.prepared import PreparedQuery, QueryShapes, decoded_list, list_of
from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.domain.catalogue import MedicalService
from hospital.domain.doctors import Doctor
from hospital.domain.schedules import AvailableTime

# (attribute on Doctor, link table, column of the linked id)
DOCTOR_LINKS = (
    ("designation_ids", t.doctor_designations, t.doctor_designations.c.designation_id),
    ("specialisation_ids", t.doctor_specialisations, t.doctor_specialisations.c.specialisation_id),
    ("available_time_ids", t.doctor_available_times, t.doctor_available_times.c.available_time_id),
)


async def load_doctor_links(session: AsyncSession, doctors: list[Doctor]) -> None:
    """Fill the id lists of many doctors with one statement, whatever their number."""
    by_id = {doctor.id: doctor for doctor in doctors}
    if not by_id:
        return
    for doctor in doctors:
        for attribute, _, _ in DOCTOR_LINKS:
            setattr(doctor, attribute, [])
    query = union_all(*(
        select(literal(attribute).label("kind"), table.c.doctor_id, column.label("linked_id"))
        .where(table.c.doctor_id.in_(by_id))
        for attribute, table, column in DOCTOR_LINKS
    ))
    rows = await session.execute(query.order_by("kind", "doctor_id", "linked_id"))
    for kind, doctor_id, linked_id in rows:
        getattr(by_id[doctor_id], kind).append(linked_id)


_TIMES = t.doctor_available_times
# A booking only needs to know the doctor exists and which times it offers: one row, no entity.
_TIME_IDS = PreparedQuery(
    select(t.doctors.c.id, list_of(select(_TIMES.c.available_time_id).where(_TIMES.c.doctor_id == t.doctors.c.id)))
    .where(t.doctors.c.id == bindparam("doctor_id"))
)

_DOCTOR_EXISTS = PreparedQuery(select(t.doctors.c.id).where(t.doctors.c.id == bindparam("doctor_id")))


class SqlAlchemyDoctorRepository:
    """A doctor and its three id lists are one record: the doctor's row carries the version of all
    of it. A save that changes only a list still moves that version (the row is written with it),
    so two saves of one doctor are serialised by its row whatever they change, and the lists are
    then written by difference: the ids removed deleted, the ids added inserted."""

    def __init__(self, owner: SessionOwner, reads: Reads) -> None:
        # The session is the owner's, made on first use: a booking reads a doctor's times without one.
        self._owner, self._reads = owner, reads
        # Each doctor's lists as this unit of work last read or wrote them, by doctor id.
        self._stored_links: dict[int, dict[str, tuple[int, ...]]] = {}

    @property
    def _session(self) -> AsyncSession:
        return self._owner.session

    def _remember_links(self, doctor: Doctor) -> None:
        assert doctor.id is not None
        self._stored_links[doctor.id] = {
            attribute: tuple(getattr(doctor, attribute)) for attribute, _, _ in DOCTOR_LINKS
        }

    async def _loaded(self, doctor: Doctor | None) -> Doctor | None:
        if doctor is not None:
            await load_doctor_links(self._session, [doctor])
            self._remember_links(doctor)
        return doctor

    async def add(self, doctor: Doctor) -> None:
        self._session.add(doctor)
        await flush(self._session)
        assert doctor.id is not None
        self._stored_links[doctor.id] = {attribute: () for attribute, _, _ in DOCTOR_LINKS}
        await self._write_links(doctor)

    async def get(self, doctor_id: int) -> Doctor | None:
        if not storable(doctor_id):
            return None
        return await self._loaded(await self._session.get(Doctor, doctor_id))

    async def get_by_user(self, user_id: int) -> Doctor | None:
        if not storable(user_id):
            return None
        query = select(Doctor).where(t.doctors.c.user_id == user_id)
        return await self._loaded((await self._session.scalars(query)).first())

    async def exists(self, doctor_id: int) -> bool:
        return storable(doctor_id) and await self._reads.first(_DOCTOR_EXISTS, {"doctor_id": doctor_id}) is not None

    async def available_time_ids(self, doctor_id: int) -> list[int] | None:
        if not storable(doctor_id):
            return None
        row = await self._reads.first(_TIME_IDS, {"doctor_id": doctor_id})
        return None if row is None else decoded_list(row[1])

    async def save(self, doctor: Doctor) -> None:
        assert doctor.id is not None
        if doctor.id not in self._stored_links:  # not read through this repository: read its lists now
            stored = Doctor(user_id=doctor.user_id, designation_ids=[], specialisation_ids=[],
                            available_time_ids=[], fee=doctor.fee, id=doctor.id)
            await load_doctor_links(self._session, [stored])
            self._remember_links(stored)
        if self._links_changed(doctor):
            flag_modified(doctor, "fee")  # the row is written, so its version is checked and moved
        await flush(self._session)
        await self._write_links(doctor)

    def _links_changed(self, doctor: Doctor) -> bool:
        stored = self._stored_links[doctor.id]  # type: ignore[index]
        return any(tuple(getattr(doctor, attribute)) != stored[attribute] for attribute, _, _ in DOCTOR_LINKS)

    async def _write_links(self, doctor: Doctor) -> None:
        """The lists' difference to what is stored, after the doctor's row was written."""
        stored = self._stored_links[doctor.id]  # type: ignore[index]
        for attribute, table, column in DOCTOR_LINKS:
            before, after = stored[attribute], tuple(getattr(doctor, attribute))
            removed = [pk for pk in before if pk not in after]
            added = [pk for pk in after if pk not in before]
            if removed:
                await self._session.execute(delete(table).where(table.c.doctor_id == doctor.id, column.in_(removed)))
            if added:
                rows = [{"doctor_id": doctor.id, column.name: linked} for linked in added]
                await self._session.execute(insert_ignoring_duplicates(self._session, table, rows))
        self._remember_links(doctor)

    async def delete(self, doctor: Doctor) -> None:
        await self._session.delete(doctor)
        await flush(self._session)
        self._stored_links.pop(doctor.id, None)  # type: ignore[arg-type]


_SLUG_TAKEN = QueryShapes(lambda table, excluding: select(exists().where(
    table.c.slug == bindparam("slug"), *([table.c.id != bindparam("exclude_id")] if excluding else []))))


class SqlAlchemyTaxonRepository(EntityTable[Any]):
    """Designations or specialisations, by the entity, table and label given."""

    def __init__(self, uow: TransactionOwner, reads: ReadRunner, entity: type[Any], table: Table,
                 label: str) -> None:
        super().__init__(uow, reads, entity, table)
        self._label = label

    async def slug_taken(self, slug: str, *, exclude_id: int | None = None) -> bool:
        excluding = exclude_id is not None and storable(exclude_id)
        values = {"slug": slug, **({"exclude_id": exclude_id} if excluding else {})}
        return bool(await self._reads.value(_SLUG_TAKEN(self._table, excluding), values))


class SqlAlchemyAvailableTimeRepository(EntityTable[AvailableTime]):
    def __init__(self, uow: TransactionOwner, reads: ReadRunner) -> None:
        super().__init__(uow, reads, AvailableTime, t.available_times)


class SqlAlchemyMedicalServiceRepository(EntityTable[MedicalService]):
    def __init__(self, uow: TransactionOwner, reads: ReadRunner) -> None:
        super().__init__(uow, reads, MedicalService, t.services)
