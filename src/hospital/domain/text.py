"""Rules every free-text field shares."""

from __future__ import annotations

from hospital.domain.errors import ValidationError

BLANK = "This field may not be blank."
NULL_CHARACTERS = "Null characters are not allowed."


def bounded_text(value: str, field: str, limit: int) -> str:
    """``value`` if it fits in ``limit`` characters and holds no NUL; ValidationError on ``field`` otherwise.

    PostgreSQL cannot store NUL in text at all, so it is refused here, as the original's
    serializers did, rather than failing in the database.
    """
    if "\x00" in value:
        raise ValidationError.field(field, NULL_CHARACTERS)
    if len(value) > limit:
        raise ValidationError.field(field, f"Ensure this field has no more than {limit} characters.")
    return value


def required_text(value: str, field: str, limit: int) -> str:
    """``value`` stripped, refused when blank, too long or holding NUL."""
    value = value.strip()
    if not value:
        raise ValidationError.field(field, BLANK)
    return bounded_text(value, field, limit)
