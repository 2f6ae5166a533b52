"""The doctor read side over the in-memory tables: names resolved, filters applied, by id."""

from __future__ import annotations

from hospital.adapters.doctor_views import encoded_views
from hospital.adapters.memory.database import InMemoryTransaction
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.catalogue import DoctorFilters, DoctorReadModel
from hospital.domain.doctors import Doctor
from hospital.domain.users import display_name


def _matches(doctor: Doctor, filters: DoctorFilters) -> bool:
    def linked(wanted: tuple[int, ...], ids: list[int]) -> bool:
        return not wanted or any(pk in ids for pk in wanted)

    return (
        linked(filters.designation, doctor.designation_ids)
        and linked(filters.specialisation, doctor.specialisation_ids)
        and linked(filters.available_time, doctor.available_time_ids)
        and (filters.fee is None or doctor.fee == filters.fee)
    )


class InMemoryDoctorReadQueries:
    def __init__(self, db: InMemoryTransaction) -> None:
        self._db = db

    def _names(self, table: str, ids: list[int]) -> tuple[str, ...]:
        rows = self._db.table(table)
        # In id order, as the database query returns them.
        return tuple(rows[pk].name for pk in sorted(ids) if pk in rows)

    def _view(self, doctor: Doctor) -> DoctorReadModel:
        user = self._db.table("users")[doctor.user_id]
        assert doctor.id is not None
        return DoctorReadModel(
            id=doctor.id, user_id=doctor.user_id,
            user=display_name(user.username, user.first_name, user.last_name), profile=doctor.profile or None,
            designation=self._names("designations", doctor.designation_ids),
            specialisation=self._names("specialisations", doctor.specialisation_ids),
            available_time=tuple(sorted(doctor.available_time_ids)), fee=doctor.fee,
            meet_link=doctor.meet_link,
        )

    async def page(self, *, page: PageRequest, filters: DoctorFilters = DoctorFilters()) -> Page[DoctorReadModel]:
        doctors = self._db.table("doctors")
        matches = [doctors[pk] for pk in sorted(doctors) if _matches(doctors[pk], filters)]
        chosen = matches[page.offset:page.offset + page.limit]
        return Page(encoded_views([self._view(doctor) for doctor in chosen]), len(matches), page)

    async def get(self, doctor_id: int) -> DoctorReadModel | None:
        doctor = self._db.table("doctors").get(doctor_id)
        return None if doctor is None else encoded_views([self._view(doctor)])[0]

    async def version(self) -> int:
        return self._db.commits
