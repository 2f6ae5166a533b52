"""Doctors on the wire. Out: the user's name and the labels' names; in: ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from hospital.domain.doctors import FEE_MAX, MEET_LINK_MAX

Ids = Annotated[list[int], Meta(description="Ids; in a form, repeat the key or send a JSON array.")]


class DoctorWrite(msgspec.Struct):
    """POST and PUT need the three lists and the fee; PATCH may send any of them. ``profile`` is a file."""

    user: Annotated[int, Meta(description="Admins only: whose record this is (default: the caller).")] | UnsetType = (
        UNSET
    )
    designation: Ids | UnsetType = UNSET
    specialisation: Ids | UnsetType = UNSET
    available_time: Ids | UnsetType = UNSET
    fee: Annotated[int, Meta(extra_json_schema={"minimum": 0, "maximum": FEE_MAX})] | UnsetType = UNSET
    meet_link: Annotated[str, Meta(
        extra_json_schema={"maxLength": MEET_LINK_MAX}, description="Empty, or an https:// URL.",
    )] | UnsetType = UNSET


class DoctorOut(msgspec.Struct):
    # Sequences: the read model's tuples go out as they are (JSON arrays), not copied into lists.
    id: int
    user: str
    profile: str | None
    designation: Sequence[str]
    specialisation: Sequence[str]
    available_time: Sequence[int]
    fee: int
    meet_link: str
    user_id: int
