"""Integer query filters (`?designation=3`, `?id=2`): a non-integer is a 400 naming the parameter.

An empty value is no filter, as in the original (django-filter); a repeated key gives several values.
"""

from __future__ import annotations

import re

from litestar import Request

from hospital.domain.errors import ValidationError

INVALID_INTEGER = "A valid integer is required."
_INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: int() would also take "١٢" or "1_000"


def _parse(name: str, raw: str) -> int:
    text = raw.strip()
    if not _INTEGER.fullmatch(text):
        raise ValidationError.field(name, INVALID_INTEGER)
    try:
        return int(text)
    except ValueError:  # more digits than int() converts
        raise ValidationError.field(name, INVALID_INTEGER) from None


def integer_values(request: Request, name: str) -> tuple[int, ...]:
    """Every non-empty value of ``name``, in order."""
    return tuple(_parse(name, raw) for raw in request.query_params.getall(name, []) if raw.strip())


def integer_value(request: Request, name: str) -> int | None:
    """The last non-empty value of ``name``, or None."""
    values = integer_values(request, name)
    return values[-1] if values else None
