"""In-memory catalogue repositories: doctors, designations, specialisations, available times, services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hospital.adapters.memory.database import InMemoryTable, InMemoryTransaction
from hospital.application.ports.catalogue import DoctorNames, DoctorReadModel, DuplicateDoctorError, DuplicateSlugError
from hospital.domain.catalogue import MedicalService
from hospital.domain.doctors import Doctor
from hospital.domain.schedules import AvailableTime

DOCTORS = "doctors"


class InMemoryDoctorRepository(InMemoryTable):
    table_name = DOCTORS

    def __init__(self, db: InMemoryTransaction) -> None:
        super().__init__(db)
        self._names: dict[int, DoctorNames] = {}  # by doctor id: what ``get`` read with it

    def _ensure_user_free(self, doctor: Doctor) -> None:
        # The unique index on doctors.user_id, as the database enforces it.
        if any(other.user_id == doctor.user_id and other.id != doctor.id for other in self._rows.values()):
            raise DuplicateDoctorError()

    async def add(self, doctor: Doctor) -> None:
        self._ensure_user_free(doctor)
        self._insert(doctor)

    async def get(self, doctor_id: int) -> Doctor | None:
        doctor = self._rows.get(doctor_id)
        if doctor is not None:
            # As the SQL repository: the names its view shows, read with it.
            designations, specialisations = (tuple(sorted(pk for pk in ids if pk in self._db.table(table)))
                                             for table, ids in (("designations", doctor.designation_ids),
                                                                ("specialisations", doctor.specialisation_ids)))
            self._names[doctor_id] = DoctorNames(
                user_id=doctor.user_id, user=self._db.table("users")[doctor.user_id].display_name,
                designation_ids=designations,
                designation=tuple(self._db.table("designations")[pk].name for pk in designations),
                specialisation_ids=specialisations,
                specialisation=tuple(self._db.table("specialisations")[pk].name for pk in specialisations),
            )
        return doctor

    def view_loaded(self, doctor: Doctor) -> DoctorReadModel | None:
        names = self._names.get(doctor.id) if doctor.id is not None else None
        return names.view_of(doctor) if names is not None else None

    async def get_by_user(self, user_id: int) -> Doctor | None:
        return next((d for d in self._rows.values() if d.user_id == user_id), None)

    async def exists(self, doctor_id: int) -> bool:
        return doctor_id in self._rows

    async def available_time_ids(self, doctor_id: int) -> list[int] | None:
        doctor = self._rows.get(doctor_id)
        return None if doctor is None else list(doctor.available_time_ids)

    async def save(self, doctor: Doctor) -> None:
        self._ensure_user_free(doctor)
        self._store(doctor)

    async def delete(self, doctor: Doctor) -> None:
        self._remove(doctor)


def _unlink_from_doctors(db: InMemoryTransaction, attribute: str, linked_id: int | None) -> None:
    # What ON DELETE CASCADE on the link tables does in the database.
    for doctor in db.table(DOCTORS).values():
        ids = getattr(doctor, attribute)
        if linked_id in ids:
            setattr(doctor, attribute, [pk for pk in ids if pk != linked_id])


class _LinkedTable(InMemoryTable):
    """A table doctors link to by id."""

    doctor_attribute: str

    async def existing_ids(self, ids: Iterable[int]) -> set[int]:
        return {pk for pk in ids if pk in self._rows}

    async def delete(self, entity: Any) -> None:
        self._remove(entity)
        _unlink_from_doctors(self._db, self.doctor_attribute, entity.id)


class InMemoryTaxonRepository(_LinkedTable):
    """Designations or specialisations, by the table and labels given."""

    def __init__(self, db: InMemoryTransaction, *, table_name: str, doctor_attribute: str, label: str) -> None:
        super().__init__(db)
        self.table_name, self.doctor_attribute, self._label = table_name, doctor_attribute, label

    def _ensure_slug_free(self, taxon: Any) -> None:
        if any(other.slug == taxon.slug and other.id != taxon.id for other in self._rows.values()):
            raise DuplicateSlugError(self._label)

    async def add(self, taxon: Any) -> None:
        self._ensure_slug_free(taxon)
        self._insert(taxon)

    async def get(self, taxon_id: int) -> Any:
        return self._rows.get(taxon_id)

    async def slug_taken(self, slug: str, *, exclude_id: int | None = None) -> bool:
        return any(taxon.slug == slug and taxon.id != exclude_id for taxon in self._rows.values())

    async def save(self, taxon: Any) -> None:
        self._ensure_slug_free(taxon)
        self._store(taxon)


class InMemoryAvailableTimeRepository(_LinkedTable):
    table_name = "available_times"
    doctor_attribute = "available_time_ids"

    async def add(self, time: AvailableTime) -> None:
        self._insert(time)

    async def get(self, time_id: int) -> AvailableTime | None:
        return self._rows.get(time_id)

    async def save(self, time: AvailableTime) -> None:
        self._store(time)


class InMemoryMedicalServiceRepository(InMemoryTable):
    table_name = "medical_services"

    async def add(self, service: MedicalService) -> None:
        self._insert(service)

    async def get(self, service_id: int) -> MedicalService | None:
        return self._rows.get(service_id)

    async def save(self, service: MedicalService) -> None:
        self._store(service)

    async def delete(self, service: MedicalService) -> None:
        self._remove(service)
