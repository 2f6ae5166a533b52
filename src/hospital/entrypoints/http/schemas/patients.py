"""Patients on the wire: {id, user (username), profile (image URL or null), phone}."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class PatientWrite(msgspec.Struct):
    """POST, PUT and PATCH alike: every field optional, only what is sent changes.

    `profile` is an uploaded file, so it is not here: it arrives with the multipart body's files.
    The domain checks the phone (and its length, after dropping spaces and dashes).
    """

    phone: str | UnsetType | None = UNSET


class PatientOut(msgspec.Struct):
    id: int
    user: str
    profile: str | None
    phone: str
