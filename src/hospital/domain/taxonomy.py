"""Designations and specialisations: the named, slugged labels doctors are filed under."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Self

from hospital.domain.errors import ErrorCollector, ValidationError
from hospital.domain.text import required_text

NAME_MAX = 50
SLUG_MAX = 60
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z")
_NOT_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
INVALID_SLUG = 'Enter a valid "slug" consisting of lowercase letters, numbers or hyphens.'
UNSLUGGABLE = 'Enter a valid "slug"; none could be made from the name.'


def slugify(value: str) -> str:
    """ASCII slug of ``value``; raises ValidationError on ``slug`` when nothing is left of it."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG_CHARS.sub("-", ascii_text.lower()).strip("-")
    # NFKD can expand one character into many, so even a 50-character name may need cutting.
    slug = slug[:SLUG_MAX].rstrip("-")
    if not slug:
        raise ValidationError.field("slug", UNSLUGGABLE)
    return slug


def normalize_taxon_name(name: str) -> str:
    # NUL is refused too: PostgreSQL cannot store it, and it was a 500 there.
    return required_text(name, "name", NAME_MAX)


def normalize_slug(slug: str) -> str:
    """Checks a slug the caller typed; blank input is the caller's cue to ``slugify`` the name instead."""
    slug = slug.strip()
    if len(slug) > SLUG_MAX:
        raise ValidationError.field("slug", f"Ensure this field has no more than {SLUG_MAX} characters.")
    if not _SLUG.match(slug):
        raise ValidationError.field("slug", INVALID_SLUG)
    return slug


def _is_blank(slug: str | None) -> bool:
    return slug is None or not slug.strip()


@dataclass(eq=False)
class _Taxon:
    name: str
    slug: str
    id: int | None = None

    @classmethod
    def create(cls, *, name: str, slug: str | None = None) -> Self:
        errors = ErrorCollector()
        name = errors.check("name", lambda: normalize_taxon_name(name))
        if not _is_blank(slug):
            slug = errors.check("slug", lambda: normalize_slug(slug))
        elif name is not None:
            slug = errors.check("slug", lambda: slugify(name))
        errors.raise_if_any()
        return cls(name=name, slug=slug)

    def update(self, *, name: str | None = None, slug: str | None = None) -> None:
        """None leaves a field as it is; a blank slug is remade from the (new) name.

        Renaming alone keeps the slug, so links and filters that use it keep working.
        """
        errors = ErrorCollector()
        if name is not None:
            name = errors.check("name", lambda: normalize_taxon_name(name))
        if slug is not None:
            if slug.strip():
                slug = errors.check("slug", lambda: normalize_slug(slug))
            elif "name" not in errors.errors:
                source = self.name if name is None else name
                slug = errors.check("slug", lambda: slugify(source))
        errors.raise_if_any()
        if name is not None:
            self.name = name
        if slug is not None:
            self.slug = slug


@dataclass(eq=False)
class Designation(_Taxon):
    """A doctor's title or rank, e.g. "Senior Consultant"."""


@dataclass(eq=False)
class Specialisation(_Taxon):
    """A field of medicine, e.g. "Cardiology"."""
