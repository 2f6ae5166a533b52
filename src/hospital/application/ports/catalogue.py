"""Repositories of the clinic catalogue."""

from __future__ import annotations

from typing import Protocol

from hospital.domain.doctors import Doctor


class DoctorRepository(Protocol):
    """Doctors with their designation, specialisation and available-time id lists."""

    async def add(self, doctor: Doctor) -> None:
        """Store a new doctor with its id lists, and give it an id."""
        ...

    async def get(self, doctor_id: int) -> Doctor | None: ...

    async def get_by_user(self, user_id: int) -> Doctor | None: ...

    async def save(self, doctor: Doctor) -> None:
        """Persist changes made to a doctor got from this repository, id lists included."""
        ...

    async def delete(self, doctor: Doctor) -> None: ...
