"""Fields a create or a full update (PUT) must send; a partial update (PATCH) may leave any out."""

from __future__ import annotations

from hospital.domain.errors import ValidationError

REQUIRED = "This field is required."


def require_fields(**values: object) -> None:
    """None means "not sent"; every missing field is reported at once, under its API name."""
    missing = {name: [REQUIRED] for name, value in values.items() if value is None}
    if missing:
        raise ValidationError(missing)
