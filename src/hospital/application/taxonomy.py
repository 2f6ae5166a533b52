"""Designations and specialisations: anyone reads them, admins write them.

Both kinds behave the same, so each use case takes the kind it serves (DESIGNATIONS or
SPECIALISATIONS) and the composition root wires one instance per kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic

from hospital.application.access import require_admin
from hospital.application.ports.catalogue import DuplicateSlugError, TaxonReads, TaxonRepository, TaxonT, TaxonView
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.required_fields import require_fields
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.errors import NotFoundError
from hospital.domain.taxonomy import Designation, Specialisation


@dataclass(frozen=True, slots=True)
class TaxonKind(Generic[TaxonT]):
    """Designations or specialisations: which entity, which repository, and the word messages use."""

    entity: type[TaxonT]
    repository: str  # the unit of work attribute holding this kind
    label: str  # how messages name one of them, as the original's model name did


DESIGNATIONS = TaxonKind(Designation, "designations", "designation")
SPECIALISATIONS = TaxonKind(Specialisation, "specialisations", "specialisation")


@dataclass(frozen=True, slots=True)
class TaxonChanges:
    """What an admin sends to create or change a designation or specialisation. None means "not sent";
    a blank or missing slug is made from the name."""

    name: str | None = None
    slug: str | None = None


class TaxonUseCase(Generic[TaxonT]):
    """The designation and specialisation use cases' shared wiring, for one kind."""

    def __init__(self, uow: UnitOfWorkFactory, kind: TaxonKind[TaxonT]) -> None:
        self._uow, self._kind = uow, kind

    def _repository(self, uow: UnitOfWork) -> TaxonRepository[TaxonT]:
        return getattr(uow, self._kind.repository)

    async def _get(self, uow: UnitOfWork, taxon_id: int) -> TaxonT:
        taxon = await self._repository(uow).get(taxon_id)
        if taxon is None:
            raise NotFoundError()
        return taxon

    async def _ensure_slug_free(self, uow: UnitOfWork, taxon: TaxonT) -> None:
        if await self._repository(uow).slug_taken(taxon.slug, exclude_id=taxon.id):
            raise DuplicateSlugError(self._kind.label)


class TaxonReadCase:
    """The read side of one kind: its read port has the repository's name (read_side.py)."""

    def __init__(self, reads: ReadSide, kind: TaxonKind) -> None:
        self._taxa: TaxonReads = getattr(reads, kind.repository)


class ListTaxa(TaxonReadCase):
    """Public: every designation (or specialisation)."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor) -> list[TaxonView]:
        return await self._taxa.list()


class GetTaxon(TaxonReadCase):
    """Public: one designation (or specialisation); an unknown id is 404."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, taxon_id: int) -> TaxonView:
        taxon = await self._taxa.get(taxon_id)
        if taxon is None:
            raise NotFoundError()
        return taxon


class CreateTaxon(TaxonUseCase[TaxonT]):
    """Admins only: a new designation (or specialisation); a blank slug is made from the name."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, changes: TaxonChanges) -> TaxonView:
        require_admin(actor)
        require_fields(name=changes.name)
        assert changes.name is not None
        taxon = self._kind.entity.create(name=changes.name, slug=changes.slug)
        async with self._uow() as uow:
            await self._ensure_slug_free(uow, taxon)
            await self._repository(uow).add(taxon)
            await uow.commit()
        return TaxonView.of(taxon)


class UpdateTaxon(TaxonUseCase[TaxonT]):
    """``partial`` is PATCH; a full update (PUT) must send the name, and may leave the slug as it is."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, taxon_id: int, changes: TaxonChanges, *,
                       partial: bool = False) -> TaxonView:
        require_admin(actor)
        async with self._uow() as uow:
            taxon = await self._get(uow, taxon_id)
            if not partial:
                require_fields(name=changes.name)
            stored_slug = taxon.slug
            taxon.update(name=changes.name, slug=changes.slug)
            if taxon.slug != stored_slug:  # its own slug is no other's (the unique key): no read
                await self._ensure_slug_free(uow, taxon)
            await self._repository(uow).save(taxon)
            await uow.commit()
        return TaxonView.of(taxon)


class DeleteTaxon(TaxonUseCase[TaxonT]):
    """Doctors filed under it simply lose it, as the original's many-to-many did."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, taxon_id: int) -> None:
        require_admin(actor)
        async with self._uow() as uow:
            taxon = await self._get(uow, taxon_id)
            await self._repository(uow).delete(taxon)
            await uow.commit()
