"""The hospital's catalogue of medical services: anyone reads it, admins write it."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from hospital.application.access import require_admin
from hospital.application.ports.catalogue import MedicalServiceView
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.storage import ImageStorage, UploadedFile
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.required_fields import require_fields
from hospital.application.retry import rerun_on_concurrent_change
from hospital.application.staged_uploads import StagedUpload, staged_upload
from hospital.domain.actors import Actor
from hospital.domain.catalogue import MedicalService
from hospital.domain.errors import NotFoundError

IMAGE_FOLDER = "services"
# Stands in for the stored name while the text is checked, so bad text is refused before the upload
# is stored (the image check and the write are the slow part).
_PENDING_IMAGE = "pending"


@dataclass(frozen=True, slots=True)
class MedicalServiceChanges:
    """What an admin sends to create or change a service. None means "not sent"; the image is required
    on create and can be replaced, never removed."""

    name: str | None = None
    description: str | None = None
    image: UploadedFile | None = None


class MedicalServiceUseCase:
    """The catalogue use cases' shared wiring: services and their images."""

    def __init__(self, uow: UnitOfWorkFactory, images: ImageStorage) -> None:
        self._uow, self._images = uow, images

    @staticmethod
    async def _get(uow: UnitOfWork, service_id: int) -> MedicalService:
        service = await uow.medical_services.get(service_id)
        if service is None:
            raise NotFoundError()
        return service

    def _staged_image(self, upload: UploadedFile | None) -> AbstractAsyncContextManager[StagedUpload]:
        """The upload, stored before the transaction opens (image checks are slow and hold no lock),
        kept or removed by the transaction's outcome (staged_uploads.py)."""
        return staged_upload(self._images, upload, folder=IMAGE_FOLDER, field="image")


class ListMedicalServices:
    """Public: every service of the hospital's catalogue."""

    def __init__(self, reads: ReadSide) -> None:
        self._reads = reads

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor) -> list[MedicalServiceView]:
        return await self._reads.medical_services.list()


class GetMedicalService:
    """Public: one service; an unknown id is 404."""

    def __init__(self, reads: ReadSide) -> None:
        self._reads = reads

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, service_id: int) -> MedicalServiceView:
        service = await self._reads.medical_services.get(service_id)
        if service is None:
            raise NotFoundError()
        return service


class CreateMedicalService(MedicalServiceUseCase):
    """Admins only: a new service, with its name, description and image."""

    async def __call__(self, actor: Actor, changes: MedicalServiceChanges) -> MedicalServiceView:
        require_admin(actor)
        require_fields(name=changes.name, description=changes.description)
        assert changes.name is not None and changes.description is not None
        MedicalService.create(
            name=changes.name, description=changes.description,
            image=_PENDING_IMAGE if changes.image is not None else "",
        )
        async with self._staged_image(changes.image) as image:
            return MedicalServiceView.of(await self._add(changes, image))

    @rerun_on_concurrent_change
    async def _add(self, changes: MedicalServiceChanges, image: StagedUpload) -> MedicalService:
        assert changes.name is not None and changes.description is not None and image.name is not None
        service = MedicalService.create(name=changes.name, description=changes.description, image=image.name)
        async with self._uow() as uow:
            await uow.medical_services.add(service)
            await image.commit(uow)
        return service


class UpdateMedicalService(MedicalServiceUseCase):
    """``partial`` is PATCH; a full update (PUT) must send the name and description, the image may stay.

    One unit of work, as every update: an image sent is first checked against the text in a unit of
    its own that writes nothing, so bad text is refused before the upload is stored (the slow part);
    without an image there is nothing to store and that unit would be a second load of the row (on
    SQLite a second turn of the writer; on PostgreSQL a row lock and three round trips)."""

    async def __call__(self, actor: Actor, service_id: int, changes: MedicalServiceChanges, *,
                       partial: bool = False) -> MedicalServiceView:
        require_admin(actor)
        if changes.image is not None:
            await self._refuse_before_upload(service_id, changes, partial)
        async with self._staged_image(changes.image) as image:
            return await self._update(service_id, changes, partial, image)

    @staticmethod
    def _apply(service: MedicalService, changes: MedicalServiceChanges, partial: bool, image: str | None) -> None:
        if not partial:
            require_fields(name=changes.name, description=changes.description)
        service.update(name=changes.name, description=changes.description, image=image)

    @rerun_on_concurrent_change
    async def _refuse_before_upload(self, service_id: int, changes: MedicalServiceChanges, partial: bool) -> None:
        async with self._uow() as uow:
            # Checked here and left uncommitted, so bad text is refused before the upload is stored.
            self._apply(await self._get(uow, service_id), changes, partial, None)

    @rerun_on_concurrent_change
    async def _update(self, service_id: int, changes: MedicalServiceChanges, partial: bool,
                      image: StagedUpload) -> MedicalServiceView:
        async with self._uow() as uow:
            service = await self._get(uow, service_id)
            old_image = service.image
            self._apply(service, changes, partial, image.name)
            await uow.medical_services.save(service)
            await image.commit(uow, replacing=old_image)
        return MedicalServiceView.of(service)


class DeleteMedicalService(MedicalServiceUseCase):
    """Admins only: delete a service and its image."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, service_id: int) -> None:
        require_admin(actor)
        async with self._uow() as uow:
            service = await self._get(uow, service_id)
            image = service.image
            await uow.medical_services.delete(service)
            await uow.commit()
        if image:
            await self._images.delete(image)
