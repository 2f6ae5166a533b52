"""SQLAlchemy catalogue repositories: doctors, designations, specialisations, available times, services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Table, bindparam, delete, exists, insert, select

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.entity_table import VERSION, EntityTable, TransactionOwner
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.prepared import (
    PreparedQuery,
    QueryShapes,
    decoded_list,
    decoded_tuple,
    id_in,
    list_of,
)
from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.adapters.sqlalchemy.tables.accounts import users
from hospital.application.errors import ConcurrentChangeError
from hospital.application.ports.catalogue import DoctorNames, DoctorReadModel
from hospital.domain.catalogue import MedicalService
from hospital.domain.doctors import Doctor
from hospital.domain.schedules import AvailableTime
from hospital.domain.users import display_name

_DOCTORS = t.doctors
# (attribute on Doctor, link table, column of the linked id, the linked table, the row's copy of the ids)
DOCTOR_LINKS = (
    ("designation_ids", t.doctor_designations, t.doctor_designations.c.designation_id, t.designations,
     _DOCTORS.c.linked_designation_ids),
    ("specialisation_ids", t.doctor_specialisations, t.doctor_specialisations.c.specialisation_id,
     t.specialisations, _DOCTORS.c.linked_specialisation_ids),
    ("available_time_ids", t.doctor_available_times, t.doctor_available_times.c.available_time_id,
     t.available_times, _DOCTORS.c.linked_available_time_ids),
)

_TIMES = t.doctor_available_times
# A booking only needs to know the doctor exists and which times it offers: one row, no entity.
_TIME_IDS = PreparedQuery(
    select(_DOCTORS.c.id, list_of(select(_TIMES.c.available_time_id).where(_TIMES.c.doctor_id == _DOCTORS.c.id)))
    .where(_DOCTORS.c.id == bindparam("doctor_id"))
)

_DOCTOR_EXISTS = PreparedQuery(select(_DOCTORS.c.id).where(_DOCTORS.c.id == bindparam("doctor_id")))

# The whole record is its row: the three id lists are read from the row's copies of its link tables
# (JSON array text in id order, kept by the link tables' triggers in the same transaction, migration 0009).
_DOCTOR_COLUMNS = (_DOCTORS.c.id, _DOCTORS.c.user_id, _DOCTORS.c.fee, _DOCTORS.c.meet_link, _DOCTORS.c.profile,
                   *(copy for *_, copy in DOCTOR_LINKS), _DOCTORS.c.version)


def _linked_names(linked: Table, link: Table, column: Any) -> list_of:
    """The names of the labels a doctor is linked to, in id order (as the copy of their ids): each
    looked up by its primary key from the doctor's links, so the cost stays that of the doctor's own
    labels however many the catalogue holds. A join lets PostgreSQL hash the links and scan the
    whole label table (its plan is chosen by row estimates, and a catalogue grows between ANALYZEs):
    thousands of rows read at every doctor write, in the turn its writers queue for."""
    name = select(linked.c.name).where(linked.c.id == column).scalar_subquery()
    return list_of(select(name).where(link.c.doctor_id == _DOCTORS.c.id).order_by(column))


# The record to change with what its view shows besides it (the user's names, its labels' names), so
# a change answers without a read after its save while the row is locked (on PostgreSQL writers of
# one doctor queue on that lock). Only the doctor's row is locked.
_DOCTOR_NAMED = PreparedQuery(
    select(*_DOCTOR_COLUMNS, users.c.username, users.c.first_name, users.c.last_name,
           *(_linked_names(linked, link, column) for _, link, column, linked, _ in DOCTOR_LINKS[:2]))
    .join(users, users.c.id == _DOCTORS.c.user_id)
    .where(_DOCTORS.c.id == bindparam("id")).with_for_update(of=_DOCTORS)
)
# Locked on PostgreSQL, as EntityTable.get.
_DOCTOR_OF_USER = PreparedQuery(select(*_DOCTOR_COLUMNS).where(_DOCTORS.c.user_id == bindparam("user_id"))
                                .with_for_update())
# Per list: the ids removed, and the ids added (RETURNING: a write in a session's transaction is read
# for its rows, entity_table.py) (those that still exist: one deleted meanwhile is gone,
# as its link would have gone with it).
_UNLINK = {attribute: PreparedQuery(delete(table).where(table.c.doctor_id == bindparam("doctor_id"),
                                                        id_in(column, bindparam("ids")))
                                        .returning(table.c.doctor_id))
           for attribute, table, column, _, _ in DOCTOR_LINKS}
_LINK = {attribute: PreparedQuery(insert(table).from_select(
    ["doctor_id", column.name],
    select(bindparam("doctor_id", type_=Integer), linked.c.id).where(id_in(linked.c.id, bindparam("ids"))))
    .returning(table.c.doctor_id))
    for attribute, table, column, linked, _ in DOCTOR_LINKS}


class SqlAlchemyDoctorRepository(EntityTable[Doctor]):
    """A doctor and its three id lists are one record, and the doctor's row carries the version of
    all of it. Every save writes the row (``EntityTable.save``: the version checked and moved) before
    the lists, so two saves of one doctor are serialised by its row whatever they change; the lists
    are then written by difference to what this unit read: the ids removed deleted, the ids added
    inserted. Each is one prepared statement in the unit's transaction (entity_table.py), as is the
    read of the record (its row, the lists from the row's copies)."""

    def __init__(self, uow: TransactionOwner, reads: ReadRunner) -> None:
        super().__init__(uow, reads, Doctor, _DOCTORS)
        # Each doctor's lists as this unit of work last read or wrote them, by doctor id.
        self._stored_links: dict[int, dict[str, tuple[int, ...]]] = {}
        self._names: dict[int, DoctorNames] = {}  # by doctor id: what ``get`` read with it

    def _doctor_of(self, row: Any) -> Doctor:
        doctor_id, user_id, fee, meet_link, profile, *copies, version = row
        lists = {attribute: decoded_list(copy) for (attribute, *_), copy in zip(DOCTOR_LINKS, copies, strict=True)}
        doctor = Doctor(user_id=user_id, fee=fee, meet_link=meet_link, profile=profile, id=doctor_id, **lists)
        setattr(doctor, VERSION, version)
        self._stored_links[doctor_id] = {attribute: tuple(ids) for attribute, ids in lists.items()}
        self._remember(doctor)
        return doctor

    async def _read(self, query: PreparedQuery, parameters: dict[str, int]) -> Doctor | None:
        """The record to change, read in the unit's transaction (as ``EntityTable.get``)."""
        rows = await self._uow.write(query, parameters)
        return self._doctor_of(rows[0]) if rows else None

    async def add(self, doctor: Doctor) -> None:
        await super().add(doctor)
        assert doctor.id is not None
        self._stored_links[doctor.id] = {attribute: () for attribute, *_ in DOCTOR_LINKS}
        await self._write_links(doctor)

    async def get(self, doctor_id: int) -> Doctor | None:
        if not storable(doctor_id):
            return None
        rows = await self._uow.write(_DOCTOR_NAMED, {"id": doctor_id})
        if not rows:
            return None
        row, split = tuple(rows[0]), len(_DOCTOR_COLUMNS)
        doctor = self._doctor_of(row[:split])
        username, first_name, last_name, designations, specialisations = row[split:]
        self._names[doctor_id] = DoctorNames(
            user_id=doctor.user_id, user=display_name(username, first_name, last_name),
            designation_ids=tuple(sorted(doctor.designation_ids)), designation=decoded_tuple(designations),
            specialisation_ids=tuple(sorted(doctor.specialisation_ids)),
            specialisation=decoded_tuple(specialisations),
        )
        return doctor

    def view_loaded(self, doctor: Doctor) -> DoctorReadModel | None:
        names = self._names.get(doctor.id) if doctor.id is not None else None
        if names is None or len(names.designation) != len(names.designation_ids) or len(
                names.specialisation) != len(names.specialisation_ids) or None in names.designation or (
                None in names.specialisation):
            return None  # a label deleted between the copy and the names: cannot be, but read the view then
        return names.view_of(doctor)

    async def get_by_user(self, user_id: int) -> Doctor | None:
        return await self._read(_DOCTOR_OF_USER, {"user_id": user_id}) if storable(user_id) else None

    async def exists(self, doctor_id: int) -> bool:
        return storable(doctor_id) and await self._reads.first(_DOCTOR_EXISTS, {"doctor_id": doctor_id}) is not None

    async def available_time_ids(self, doctor_id: int) -> list[int] | None:
        if not storable(doctor_id):
            return None
        row = await self._reads.first(_TIME_IDS, {"doctor_id": doctor_id})
        return None if row is None else decoded_list(row[1])

    async def save(self, doctor: Doctor) -> None:
        assert doctor.id is not None
        # Not read through this repository: read its lists now (none: deleted since it was read).
        if doctor.id not in self._stored_links and await self.get(doctor.id) is None:
            raise ConcurrentChangeError()
        await super().save(doctor)
        await self._write_links(doctor)

    async def _write_links(self, doctor: Doctor) -> None:
        """The lists' difference to what is stored, after the doctor's row was written."""
        stored = self._stored_links[doctor.id]  # type: ignore[index]
        for attribute, *_ in DOCTOR_LINKS:
            before, after = stored[attribute], tuple(getattr(doctor, attribute))
            removed = [pk for pk in before if pk not in after]
            added = [pk for pk in after if pk not in before]
            if removed:
                await self._written(_UNLINK[attribute], {"doctor_id": doctor.id, "ids": removed})
            if added:
                await self._written(_LINK[attribute], {"doctor_id": doctor.id, "ids": added})
        self._stored_links[doctor.id] = {  # type: ignore[index]
            attribute: tuple(sorted(getattr(doctor, attribute))) for attribute, *_ in DOCTOR_LINKS}

    async def delete(self, doctor: Doctor) -> None:
        await super().delete(doctor)
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
