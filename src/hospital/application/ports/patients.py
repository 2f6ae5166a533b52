"""The read side of patients: list rows straight from the database, scoped to what the caller may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hospital.application.pagination import Page, PageRequest
from hospital.domain.patients import Patient


@dataclass(frozen=True, slots=True)
class PatientRow:
    """A patient as every patient endpoint answers, in the wire's names: ``user`` is the username (not
    the user id), ``profile`` the stored picture's name."""

    id: int
    user: str
    phone: str | None
    profile: str | None

    @classmethod
    def of(cls, patient: Patient, username: str) -> PatientRow:
        assert patient.id is not None
        return cls(id=patient.id, user=username, phone=patient.phone, profile=patient.profile)


@dataclass(frozen=True, slots=True)
class PatientScope:
    """Who a non-admin caller may see: their own record, and the patients of the doctor they are.

    Either may be None; with both None nothing is visible. Admins list with no scope at all.
    """

    patient_id: int | None = None
    doctor_id: int | None = None


class PatientQueries(Protocol):
    """The read side of patients (read_side.py says what every read port guarantees)."""

    async def get(self, patient_id: int, *, scope: PatientScope | None) -> PatientRow | None:
        """The patient, if within ``scope`` (None: any); else None, as if it did not exist."""
        ...

    async def list(self, *, page: PageRequest, scope: PatientScope | None, search: str = "",
                   phone: str | None = None) -> Page[PatientRow]:
        """Ordered by id. ``search`` matches id, username or phone as a case-insensitive substring
        (``%`` and ``_`` literally); ``phone`` is an exact match. ``scope`` None means every patient."""
        ...
