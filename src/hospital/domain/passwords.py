"""Password policy: the four rules the original service (Django's validators) applied."""

from __future__ import annotations

import gzip
import re
from difflib import SequenceMatcher
from functools import cache
from importlib import resources

from hospital.domain.errors import ValidationError

MIN_LENGTH = 8
MAX_SIMILARITY = 0.7


@cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("hospital.domain").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def _too_similar(password: str, value: str) -> bool:
    value = value.lower()
    if not value:
        return False
    lowered = password.lower()
    # Like Django: compare against the whole value and against each of its parts.
    parts = [value, *re.split(r"\W+", value)]
    for part in parts:
        if len(part) < 3:
            continue
        if SequenceMatcher(a=lowered, b=part).quick_ratio() >= MAX_SIMILARITY and (
            SequenceMatcher(a=lowered, b=part).ratio() >= MAX_SIMILARITY
        ):
            return True
    return False


def password_problems(password: str, *, username: str = "", email: str = "", first_name: str = "",
                      last_name: str = "") -> list[str]:
    """Every rule the password breaks, as messages; empty when it is acceptable."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(
            f"This password is too short. It must contain at least {MIN_LENGTH} characters."
        )
    if password.isdigit():
        problems.append("This password is entirely numeric.")
    for label, value in (
        ("username", username),
        ("email address", email),
        ("first name", first_name),
        ("last name", last_name),
    ):
        if _too_similar(password, value):
            problems.append(f"The password is too similar to the {label}.")
            break
    if password.lower().strip() in _common_passwords():
        problems.append("This password is too common.")
    return problems


def validate_password(password: str, *, field: str = "password", **user_attributes: str) -> None:
    problems = password_problems(password, **user_attributes)
    if problems:
        raise ValidationError({field: problems})


def validate_password_pair(password: str, confirm_password: str, **user_attributes: str) -> None:
    if password != confirm_password:
        raise ValidationError({"confirm_password": ["Passwords do not match."]})
    validate_password(password, **user_attributes)
