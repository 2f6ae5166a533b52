"""Designations and specialisations on the wire: {id, name, slug}."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from hospital.application.ports.catalogue import TaxonView
from hospital.domain.taxonomy import NAME_MAX, SLUG_MAX
from hospital.entrypoints.http.schemas.text import SPACE, stripped_text

# Lengths are documented here and checked by the domain, which reports every field at once.
Name = Annotated[str, Meta(extra_json_schema=stripped_text(NAME_MAX))]
Slug = Annotated[str, Meta(
    # Stripped, then letters, digits and inner hyphens (domain.taxonomy._SLUG); blank means "from the name".
    extra_json_schema={"pattern": f"^{SPACE}*(?:[a-z0-9](?:[a-z0-9-]{{0,{SLUG_MAX - 2}}}[a-z0-9])?)?{SPACE}*$"},
    description="Lowercase letters, digits and hyphens; made from the name when blank or left out.",
)]


class TaxonWrite(msgspec.Struct):
    """POST needs the name; PUT too; PATCH may send either field alone."""

    name: Name | UnsetType = UNSET
    slug: Slug | UnsetType | None = UNSET


class TaxonOut(msgspec.Struct):
    id: int
    name: str
    slug: str

    @classmethod
    def of(cls, taxon: TaxonView) -> TaxonOut:
        return cls(id=taxon.id, name=taxon.name, slug=taxon.slug)
