"""In-memory patient list query."""

from __future__ import annotations

from hospital.adapters.memory.database import InMemoryTable
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.patients import PatientRow, PatientScope


class InMemoryPatientQueries(InMemoryTable):
    table_name = "patients"

    def _treated_by(self, doctor_id: int) -> set[int]:
        return {a.patient_id for a in self._db.table("appointments").values() if a.doctor_id == doctor_id}

    def _visible(self, scope: PatientScope | None) -> set[int] | None:
        if scope is None:
            return None
        visible = self._treated_by(scope.doctor_id) if scope.doctor_id is not None else set()
        if scope.patient_id is not None:
            visible.add(scope.patient_id)
        return visible

    async def get(self, patient_id: int, *, scope: PatientScope | None) -> PatientRow | None:
        patient = self._rows.get(patient_id)
        visible = self._visible(scope)
        if patient is None or (visible is not None and patient_id not in visible):
            return None
        return PatientRow.of(patient, self._db.table("users")[patient.user_id].username)

    async def list(self, *, page: PageRequest, scope: PatientScope | None, search: str = "",
                   phone: str | None = None) -> Page[PatientRow]:
        visible = self._visible(scope)
        # lower(), not casefold(): the same folding SQL's lower() does.
        needle = search.lower()
        users = self._db.table("users")
        matches = []
        for patient in self._sorted():
            if visible is not None and patient.id not in visible:
                continue
            if phone is not None and patient.phone != phone:
                continue
            username = users[patient.user_id].username
            if needle and not any(needle in text.lower() for text in (str(patient.id), username, patient.phone or "")):
                continue
            matches.append(PatientRow.of(patient, username))
        return Page(matches[page.offset:page.offset + page.limit], len(matches), page)
