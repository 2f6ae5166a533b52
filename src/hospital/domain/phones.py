"""Phone numbers as people type them: spaces and dashes dropped, digits with an optional leading +."""

from __future__ import annotations

import re

from hospital.domain.errors import ValidationError

_PHONE = re.compile(r"^\+?[0-9]+\Z")
INVALID_PHONE = "Enter a valid phone number: digits and an optional leading +."


def normalize_phone(phone: str, *, limit: int, field: str = "phone") -> str:
    """The phone without separators; "" when nothing was typed (callers decide if that is allowed)."""
    phone = phone.strip().replace(" ", "").replace("-", "")
    if not phone:
        return ""
    if len(phone) > limit:
        raise ValidationError.field(field, f"Ensure this field has no more than {limit} characters.")
    if not _PHONE.match(phone):
        raise ValidationError.field(field, INVALID_PHONE)
    return phone
