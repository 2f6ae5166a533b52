"""Query filters that take an id (`?patient_id=3`): an integer, or a 400 naming the parameter.

Routes declare them as optional strings, so that the message is the original's and an empty
value means "no filter" as it did there. Only ASCII digits count: Python's int() would also
take Arabic-Indic digits or "1_0".
"""

from __future__ import annotations

import re

from hospital.domain.errors import ValidationError

_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")


def parse_id_filter(name: str, raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    if not _INTEGER.fullmatch(raw.strip()):
        raise ValidationError.field(name, "Enter a number.")
    return int(raw.strip())
