"""Patients on the wire: {id, user (username), profile (image URL or null), phone}."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType


class PatientWrite(msgspec.Struct):
    """POST, PUT and PATCH alike: every field optional, only what is sent changes.

    `profile` is an uploaded file, so it is not here: it arrives with the multipart body's files.
    The length bound is the database's; the domain says what a phone may contain.
    """

    phone: Annotated[str, Meta(max_length=64)] | UnsetType | None = UNSET


class PatientOut(msgspec.Struct):
    id: int
    user: str
    profile: str | None
    phone: str
