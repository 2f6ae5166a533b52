"""Who is acting. Roles come from data: admin = is_staff, doctor/patient = has that record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None = None
    is_staff: bool = False
    patient_id: int | None = None
    doctor_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        return self.is_authenticated and self.is_staff

    @property
    def is_doctor(self) -> bool:
        return self.doctor_id is not None

    @property
    def is_patient(self) -> bool:
        return self.patient_id is not None

    def owns_user(self, user_id: int) -> bool:
        return self.user_id is not None and self.user_id == user_id


ANONYMOUS = Actor()
