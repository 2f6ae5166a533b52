"""Patients: every registered user is one; the care workflow hangs off this record."""

from __future__ import annotations

from dataclasses import dataclass

from hospital.domain.actors import Actor
from hospital.domain.errors import NotFoundError, PermissionDeniedError
from hospital.domain.phones import normalize_phone

PHONE_MAX = 12
DUPLICATE_PHONE = "patient with this phone already exists."
ALREADY_A_PATIENT = "You already have a patient record."


def normalize_patient_phone(phone: str | None) -> str | None:
    """Empty means no phone (None), so that phone numbers can be unique among those given."""
    return normalize_phone(phone or "", limit=PHONE_MAX) or None


@dataclass(eq=False)
class Patient:
    user_id: int
    phone: str | None = None
    profile: str | None = None
    id: int | None = None

    @classmethod
    def enrol(cls, *, user_id: int, phone: str | None = None, profile: str | None = None) -> Patient:
        return cls(user_id=user_id, phone=normalize_patient_phone(phone), profile=profile)

    def change_phone(self, phone: str | None) -> None:
        self.phone = normalize_patient_phone(phone)

    def change_picture(self, profile: str) -> None:
        self.profile = profile

    def is_owned_by(self, actor: Actor) -> bool:
        return actor.owns_user(self.user_id)

    def ensure_readable_by(self, actor: Actor, *, treated_by_actor: bool = False) -> None:
        """Admins, the patient, and a doctor the patient has an appointment with (``treated_by_actor``,
        which only the application can tell). Anyone else is told it does not exist."""
        if not (actor.is_admin or self.is_owned_by(actor) or (actor.is_doctor and treated_by_actor)):
            raise NotFoundError()

    def ensure_changeable_by(self, actor: Actor, *, treated_by_actor: bool = False) -> None:
        # A treating doctor may read the record but not change it: that is a 403, not a 404.
        self.ensure_readable_by(actor, treated_by_actor=treated_by_actor)
        if not (actor.is_admin or self.is_owned_by(actor)):
            raise PermissionDeniedError()
