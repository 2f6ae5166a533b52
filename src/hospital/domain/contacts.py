"""Contact requests: messages left through the public contact form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hospital.domain.errors import ErrorCollector, ValidationError

NAME_MAX = 50
PHONE_MAX = 11
MASSAGE_MAX = 5000
_PHONE = re.compile(r"^\+?[0-9]+\Z")


def _required_text(value: str, field: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise ValidationError.field(field, "This field may not be blank.")
    if len(value) > limit:
        raise ValidationError.field(field, f"Ensure this field has no more than {limit} characters.")
    return value


def normalize_contact_phone(phone: str) -> str:
    """Spaces and dashes people type are dropped, as for patient phones; the rest must be digits."""
    phone = phone.strip().replace(" ", "").replace("-", "")
    if not phone:
        raise ValidationError.field("phone", "This field may not be blank.")
    if len(phone) > PHONE_MAX:
        raise ValidationError.field("phone", f"Ensure this field has no more than {PHONE_MAX} characters.")
    if not _PHONE.match(phone):
        raise ValidationError.field("phone", "Enter a valid phone number: digits and an optional leading +.")
    return phone


@dataclass(eq=False)
class Contact:
    name: str
    phone: str
    # Spelt as the original API spells it; clients send and read this name.
    massage: str
    id: int | None = None

    @classmethod
    def create(cls, *, name: str, phone: str, massage: str) -> Contact:
        errors = ErrorCollector()
        name = errors.check("name", lambda: _required_text(name, "name", NAME_MAX))
        phone = errors.check("phone", lambda: normalize_contact_phone(phone))
        massage = errors.check("massage", lambda: _required_text(massage, "massage", MASSAGE_MAX))
        errors.raise_if_any()
        return cls(name=name, phone=phone, massage=massage)

    def update(self, *, name: str | None = None, phone: str | None = None,
               massage: str | None = None) -> None:
        errors = ErrorCollector()
        if name is not None:
            name = errors.check("name", lambda: _required_text(name, "name", NAME_MAX))
        if phone is not None:
            phone = errors.check("phone", lambda: normalize_contact_phone(phone))
        if massage is not None:
            massage = errors.check("massage", lambda: _required_text(massage, "massage", MASSAGE_MAX))
        errors.raise_if_any()
        if name is not None:
            self.name = name
        if phone is not None:
            self.phone = phone
        if massage is not None:
            self.massage = massage
