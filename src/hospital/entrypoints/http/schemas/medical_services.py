"""Medical services on the wire: {id, image, name, description}; the image is a multipart file."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from hospital.domain.catalogue import DESCRIPTION_MAX, NAME_MAX
from hospital.entrypoints.http.schemas.text import stripped_text


class MedicalServiceWrite(msgspec.Struct):
    """POST needs name, description and the ``image`` file; PUT the text; PATCH any field."""

    name: Annotated[str, Meta(extra_json_schema=stripped_text(NAME_MAX))] | UnsetType = UNSET
    description: Annotated[str, Meta(extra_json_schema=stripped_text(DESCRIPTION_MAX))] | UnsetType = UNSET


class MedicalServiceOut(msgspec.Struct):
    id: int
    image: str | None
    name: str
    description: str
