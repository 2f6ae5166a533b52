"""Registration, login, tokens, users and profiles on the wire."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from hospital.application.ports.accounts import UserView
from hospital.domain.users import normalize_email, normalize_name, normalize_username

Username = Annotated[str, Meta(max_length=150)]
Password = Annotated[str, Meta(max_length=4096)]  # argon2 takes any length; a bound stops abuse


class RegisterRequest(msgspec.Struct):
    username: Username
    email: Annotated[str, Meta(max_length=254)]
    password: Password
    confirm_password: Password
    first_name: Annotated[str, Meta(max_length=150)] = ""
    last_name: Annotated[str, Meta(max_length=150)] = ""

    # Checks of one field alone, reported with a missing field's error (body.py, _every_error).
    field_checks: ClassVar[dict[str, Callable[[Any], object]]] = {
        "username": normalize_username,
        "email": normalize_email,
        "first_name": lambda name: normalize_name(name, "first_name"),
        "last_name": lambda name: normalize_name(name, "last_name"),
    }


class LoginRequest(msgspec.Struct):
    username: Username
    password: Password


class RefreshRequest(msgspec.Struct):
    refresh: Annotated[str, Meta(max_length=4096)]


class TokenPairOut(msgspec.Struct):
    refresh: str
    access: str


class AccessTokenOut(msgspec.Struct, omit_defaults=True):
    access: str
    refresh: str | UnsetType = UNSET  # only with HOSPITAL_ROTATE_REFRESH_TOKENS


class MessageOut(msgspec.Struct):
    message: str


class UserOut(msgspec.Struct):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    is_staff: bool
    is_active: bool
    date_joined: datetime

    @classmethod
    def of(cls, user: UserView) -> UserOut:
        return cls(
            id=user.id, username=user.username, email=user.email, first_name=user.first_name,
            last_name=user.last_name, is_staff=user.is_staff, is_active=user.is_active,
            date_joined=user.date_joined,
        )


class RegistrationOut(msgspec.Struct):
    message: str
    tokens: TokenPairOut
    user: UserOut


class ProfileWrite(msgspec.Struct):
    """Every field optional: PUT and PATCH both change only what is sent (no field is required)."""

    username: Username | UnsetType = UNSET
    email: Annotated[str, Meta(max_length=254)] | UnsetType = UNSET
    first_name: Annotated[str, Meta(max_length=150)] | UnsetType = UNSET
    last_name: Annotated[str, Meta(max_length=150)] | UnsetType = UNSET
    bio: Annotated[str, Meta(max_length=5000)] | UnsetType = UNSET
    address: Annotated[str, Meta(max_length=255)] | UnsetType = UNSET
    # A string, so that a form's empty value can clear the date; parsed in the route module, which also
    # answers an over-long value with the date-format message rather than a length one.
    date_of_birth: Annotated[str, Meta(max_length=64)] | UnsetType | None = UNSET


class ProfileOut(msgspec.Struct):
    id: int
    user: UserOut
    bio: str
    address: str
    date_of_birth: date | None
    profile_picture: str | None
    created_at: datetime
    updated_at: datetime
