"""SQLAlchemy catalogue repositories."""

from __future__ import annotations

from sqlalchemy import delete, insert, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.domain.doctors import Doctor

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


class SqlAlchemyDoctorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _write_links(self, doctor: Doctor) -> None:
        for attribute, table, column in DOCTOR_LINKS:
            await self._session.execute(delete(table).where(table.c.doctor_id == doctor.id))
            ids = getattr(doctor, attribute)
            if ids:
                await self._session.execute(
                    insert(table), [{"doctor_id": doctor.id, column.name: linked} for linked in ids]
                )

    async def add(self, doctor: Doctor) -> None:
        self._session.add(doctor)
        await self._session.flush()
        await self._write_links(doctor)

    async def get(self, doctor_id: int) -> Doctor | None:
        doctor = await self._session.get(Doctor, doctor_id)
        if doctor is not None:
            await load_doctor_links(self._session, [doctor])
        return doctor

    async def get_by_user(self, user_id: int) -> Doctor | None:
        doctor = (await self._session.scalars(select(Doctor).where(t.doctors.c.user_id == user_id))).first()
        if doctor is not None:
            await load_doctor_links(self._session, [doctor])
        return doctor

    async def save(self, doctor: Doctor) -> None:
        await self._session.flush()
        await self._write_links(doctor)

    async def delete(self, doctor: Doctor) -> None:
        await self._session.delete(doctor)
        await self._session.flush()
