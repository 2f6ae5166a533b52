"""Contact requests on the wire: {id, name, phone, massage} (the original's spelling)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from hospital.application.ports.catalogue import ContactView
from hospital.domain.contacts import MASSAGE_MAX, NAME_MAX, PHONE_MAX
from hospital.entrypoints.http.schemas.text import stripped_text


class ContactWrite(msgspec.Struct):
    name: Annotated[str, Meta(extra_json_schema=stripped_text(NAME_MAX))] | UnsetType = UNSET
    phone: Annotated[str, Meta(
        description=f"Digits with an optional leading +, at most {PHONE_MAX} once spaces and dashes are dropped.",
    )] | UnsetType = UNSET
    massage: Annotated[str, Meta(extra_json_schema=stripped_text(MASSAGE_MAX))] | UnsetType = UNSET


class ContactOut(msgspec.Struct):
    id: int
    name: str
    phone: str
    massage: str

    @classmethod
    def of(cls, contact: ContactView) -> ContactOut:
        return cls(id=contact.id, name=contact.name, phone=contact.phone, massage=contact.massage)
