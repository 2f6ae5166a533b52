"""In-memory catalogue repositories."""

from __future__ import annotations

from hospital.adapters.memory.database import InMemoryTable
from hospital.domain.doctors import Doctor


class InMemoryDoctorRepository(InMemoryTable):
    table_name = "doctors"

    async def add(self, doctor: Doctor) -> None:
        self._insert(doctor)

    async def get(self, doctor_id: int) -> Doctor | None:
        return self._rows.get(doctor_id)

    async def get_by_user(self, user_id: int) -> Doctor | None:
        return next((d for d in self._rows.values() if d.user_id == user_id), None)

    async def save(self, doctor: Doctor) -> None:
        self._rows[doctor.id] = doctor  # type: ignore[index]

    async def delete(self, doctor: Doctor) -> None:
        self._remove(doctor)
