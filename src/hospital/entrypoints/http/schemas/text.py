"""JSON Schema for text the domain strips before it checks it, so the schema promises what is enforced.

The domain (like the original's Django REST Framework fields) drops surrounding whitespace and
then counts characters: " " + 50 letters is a valid 50-character name. ``maxLength`` would call it
too long, so these fields are described by a pattern: optional whitespace, at most ``limit``
characters that start and end with non-whitespace, optional whitespace. Whitespace is what
Python's str.strip() removes, spelled out because JSON Schema's ``\\s`` differs from it.
"""

from __future__ import annotations

from typing import Any

SPACE_CHARS = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
SPACE = f"[{SPACE_CHARS}]"
NOT_SPACE = f"[^{SPACE_CHARS}]"


def stripped_text(limit: int) -> dict[str, Any]:
    """At most ``limit`` characters once stripped (blank is left to the domain, which names the field)."""
    assert limit >= 2
    core = f"{NOT_SPACE}(?:[\\s\\S]{{0,{limit - 2}}}{NOT_SPACE})?"
    return {"pattern": f"^{SPACE}*(?:{core})?{SPACE}*$"}
