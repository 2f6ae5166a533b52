"""Contact requests: messages left through the public contact form."""

from __future__ import annotations

from dataclasses import dataclass

from hospital.domain.errors import ErrorCollector, ValidationError
from hospital.domain.phones import normalize_phone
from hospital.domain.text import BLANK, required_text

NAME_MAX = 50
PHONE_MAX = 11
MASSAGE_MAX = 5000


def normalize_contact_phone(phone: str) -> str:
    phone = normalize_phone(phone, limit=PHONE_MAX)
    if not phone:
        raise ValidationError.field("phone", BLANK)
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
        name = errors.check("name", lambda: required_text(name, "name", NAME_MAX))
        phone = errors.check("phone", lambda: normalize_contact_phone(phone))
        massage = errors.check("massage", lambda: required_text(massage, "massage", MASSAGE_MAX))
        errors.raise_if_any()
        return cls(name=name, phone=phone, massage=massage)

    def update(self, *, name: str | None = None, phone: str | None = None,
               massage: str | None = None) -> None:
        errors = ErrorCollector()
        if name is not None:
            name = errors.check("name", lambda: required_text(name, "name", NAME_MAX))
        if phone is not None:
            phone = errors.check("phone", lambda: normalize_contact_phone(phone))
        if massage is not None:
            massage = errors.check("massage", lambda: required_text(massage, "massage", MASSAGE_MAX))
        errors.raise_if_any()
        if name is not None:
            self.name = name
        if phone is not None:
            self.phone = phone
        if massage is not None:
            self.massage = massage
