"""Users: the account behind every person who logs in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from hospital.domain.errors import ConflictError, ErrorCollector, ValidationError
from hospital.domain.text import BLANK, bounded_text

USERNAME_MAX = 150
NAME_MAX = 150
EMAIL_MAX = 254
_USERNAME = re.compile(r"^[\w.@+-]+\Z")
# Deliberately simple: one @, a dotted domain, no spaces. Deliverability is the mail server's business.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+\Z")
USERNAME_TAKEN = "A user with that username already exists."


def username_taken() -> ConflictError:
    """The one answer to a username already in use (ignoring case), wherever a username is chosen."""
    return ConflictError.field("username", USERNAME_TAKEN)


def normalize_username(username: str) -> str:
    username = bounded_text(username.strip(), "username", USERNAME_MAX)
    if not username:
        raise ValidationError.field("username", BLANK)
    if not _USERNAME.match(username):
        raise ValidationError.field(
            "username",
            "Enter a valid username. This value may contain only letters, numbers, "
            "and @/./+/-/_ characters.",
        )
    return username


def normalize_email(email: str) -> str:
    """The one rule for every email a user is given (registration, createsuperuser, profile
    changes): required, valid, at most 254 characters; the domain is lowercased."""
    email = bounded_text(email.strip(), "email", EMAIL_MAX)
    if not email:
        raise ValidationError.field("email", BLANK)
    if not _EMAIL.match(email):
        raise ValidationError.field("email", "Enter a valid email address.")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_name(value: str, field_name: str) -> str:
    return bounded_text(value.strip(), field_name, NAME_MAX)


def display_name(username: str, first_name: str, last_name: str) -> str:
    """How a person is named to others: their full name, or their username when they gave none.

    A function as well as ``User.display_name``, for read queries that never load a User.
    """
    return f"{first_name} {last_name}".strip() or username


@dataclass(eq=False)
class User:
    username: str
    email: str
    password_hash: str
    first_name: str = ""
    last_name: str = ""
    is_staff: bool = False
    is_active: bool = True
    date_joined: datetime | None = None
    id: int | None = None
    # Bumped when the password changes or the account is deactivated; refresh tokens carry it,
    # so every token issued before is refused without a list of them.
    token_version: int = 0
    last_login: datetime | None = field(default=None)

    @classmethod
    def register(cls, *, username: str, email: str, first_name: str, last_name: str,
                 password_hash: str, joined_at: datetime, is_staff: bool = False) -> User:
        errors = ErrorCollector()
        username = errors.check("username", lambda: normalize_username(username))
        email = errors.check("email", lambda: normalize_email(email))
        first_name = errors.check("first_name", lambda: normalize_name(first_name, "first_name"))
        last_name = errors.check("last_name", lambda: normalize_name(last_name, "last_name"))
        errors.raise_if_any()
        return cls(
            username=username, email=email, first_name=first_name, last_name=last_name,
            password_hash=password_hash, is_staff=is_staff, date_joined=joined_at,
        )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        return display_name(self.username, self.first_name, self.last_name)

    def rename(self, *, username: str | None = None, email: str | None = None,
               first_name: str | None = None, last_name: str | None = None) -> None:
        errors = ErrorCollector()
        if username is not None:
            username = errors.check("username", lambda: normalize_username(username))
        if email is not None:
            email = errors.check("email", lambda: normalize_email(email))
        if first_name is not None:
            first_name = errors.check("first_name", lambda: normalize_name(first_name, "first_name"))
        if last_name is not None:
            last_name = errors.check("last_name", lambda: normalize_name(last_name, "last_name"))
        errors.raise_if_any()
        if username is not None:
            self.username = username
        if email is not None:
            self.email = email
        if first_name is not None:
            self.first_name = first_name
        if last_name is not None:
            self.last_name = last_name

    def logged_in(self, at: datetime, *, rehashed: str | None = None) -> None:
        """Record a successful login; ``rehashed`` is the same password under current hash settings."""
        self.last_login = at
        if rehashed is not None:
            self.password_hash = rehashed  # the password did not change, so tokens stay valid

    def change_password(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self.token_version += 1

    def deactivate(self) -> None:
        self.is_active = False
        self.token_version += 1
