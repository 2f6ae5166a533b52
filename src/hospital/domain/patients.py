"""Patients: every registered user is one; the care workflow hangs off this record."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hospital.domain.errors import ValidationError

PHONE_MAX = 12
_PHONE = re.compile(r"^\+?[0-9]*\Z")


def normalize_patient_phone(phone: str | None) -> str | None:
    """Empty means no phone (None), so that phone numbers can be unique among those given."""
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if not phone:
        return None
    if len(phone) > PHONE_MAX:
        raise ValidationError.field("phone", f"Ensure this field has no more than {PHONE_MAX} characters.")
    if not _PHONE.match(phone):
        raise ValidationError.field("phone", "Enter a valid phone number: digits and an optional leading +.")
    return phone


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
