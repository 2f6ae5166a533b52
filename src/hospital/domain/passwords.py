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
# Django's verbose names, which its messages quote.
_USER_ATTRIBUTES = (
    ("username", "username"),
    ("email", "email address"),
    ("first_name", "first name"),
    ("last_name", "last name"),
)


@cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("hospital.domain").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def _much_longer(password: str, part: str) -> bool:
    # Django skips a part so short next to the password that no similarity could reach the limit.
    return len(password) >= 10 * len(part) and len(part) < MAX_SIMILARITY / 2 * len(password)


def _too_similar(password: str, value: str) -> bool:
    """Django's UserAttributeSimilarityValidator: the whole value and each of its parts."""
    if not value:
        return False
    password, value = password.lower(), value.lower()
    for part in [*re.split(r"\W+", value), value]:
        if _much_longer(password, part):
            continue
        if SequenceMatcher(a=password, b=part).quick_ratio() >= MAX_SIMILARITY:
            return True
    return False


def password_problems(password: str, *, username: str = "", email: str = "", first_name: str = "",
                      last_name: str = "") -> list[str]:
    """Every rule the password breaks, as messages in the order Django reports them; empty when acceptable."""
    problems: list[str] = []
    attributes = {"username": username, "email": email, "first_name": first_name, "last_name": last_name}
    similar = next((label for name, label in _USER_ATTRIBUTES if _too_similar(password, attributes[name])), None)
    if similar is not None:
        problems.append(f"The password is too similar to the {similar}.")
    if len(password) < MIN_LENGTH:
        problems.append(
            f"This password is too short. It must contain at least {MIN_LENGTH} characters."
        )
    if password.lower().strip() in _common_passwords():
        problems.append("This password is too common.")
    if password.isdigit():
        problems.append("This password is entirely numeric.")
    return problems


def validate_password(password: str, *, field: str = "password", **user_attributes: str) -> None:
    problems = password_problems(password, **user_attributes)
    if problems:
        raise ValidationError({field: problems})


def validate_password_pair(password: str, confirm_password: str, **user_attributes: str) -> None:
    if password != confirm_password:
        raise ValidationError({"confirm_password": ["Passwords do not match."]})
    validate_password(password, **user_attributes)
