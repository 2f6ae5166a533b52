"""The hospital's catalogue of medical services: anyone reads it, admins write it."""

from __future__ import annotations

from dataclasses import dataclass

from hospital.application.access import require_admin
from hospital.application.ports.storage import ImageStorage, UploadedFile
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.required_fields import require_fields
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.catalogue import MedicalService
from hospital.domain.errors import NotFoundError

IMAGE_FOLDER = "services"
# Stands in for the stored name while the text is checked, so bad text is refused before the upload
# is stored (the image check and the write are the slow part).
_PENDING_IMAGE = "pending"


@dataclass(frozen=True, slots=True)
class MedicalServiceChanges:
    """None means "not sent". The image is required on create and can be replaced, never removed."""

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

    async def _store_image(self, upload: UploadedFile | None) -> str | None:
        if upload is None:
            return None
        return await self._images.save_image(upload, folder=IMAGE_FOLDER, field="image")

    async def _discard(self, name: str | None) -> None:
        if name:
            await self._images.delete(name)


class ListMedicalServices(MedicalServiceUseCase):
    """Public: every service of the hospital's catalogue."""

    async def __call__(self, actor: Actor) -> list[MedicalService]:
        async with self._uow() as uow:
            return await uow.medical_services.list()


class GetMedicalService(MedicalServiceUseCase):
    """Public: one service; an unknown id is 404."""

    async def __call__(self, actor: Actor, service_id: int) -> MedicalService:
        async with self._uow() as uow:
            return await self._get(uow, service_id)


class CreateMedicalService(MedicalServiceUseCase):
    """Admins only: a new service, with its name, description and image."""

    async def __call__(self, actor: Actor, changes: MedicalServiceChanges) -> MedicalService:
        require_admin(actor)
        require_fields(name=changes.name, description=changes.description)
        assert changes.name is not None and changes.description is not None
        MedicalService.create(
            name=changes.name, description=changes.description,
            image=_PENDING_IMAGE if changes.image is not None else "",
        )
        image = await self._store_image(changes.image)
        assert image is not None
        try:
            service = MedicalService.create(name=changes.name, description=changes.description, image=image)
            async with self._uow() as uow:
                await uow.medical_services.add(service)
                await uow.commit()
        except BaseException:
            await self._discard(image)
            raise
        return service


class UpdateMedicalService(MedicalServiceUseCase):
    """``partial`` is PATCH; a full update (PUT) must send the name and description, the image may stay."""

    async def __call__(self, actor: Actor, service_id: int, changes: MedicalServiceChanges, *,
                       partial: bool = False) -> MedicalService:
        require_admin(actor)
        async with self._uow() as uow:
            # Checked here and left uncommitted, so bad text is refused before the upload is stored.
            service = await self._get(uow, service_id)
            if not partial:
                require_fields(name=changes.name, description=changes.description)
            service.update(name=changes.name, description=changes.description)
        image = await self._store_image(changes.image)
        try:
            service, old_image = await self._update(service_id, changes, image)
        except BaseException:
            await self._discard(image)
            raise
        if image is not None and old_image != image:
            await self._discard(old_image)
        return service

    @rerun_on_concurrent_change
    async def _update(self, service_id: int, changes: MedicalServiceChanges,
                      image: str | None) -> tuple[MedicalService, str]:
        async with self._uow() as uow:
            service = await self._get(uow, service_id)
            old_image = service.image
            service.update(name=changes.name, description=changes.description, image=image)
            await uow.medical_services.save(service)
            await uow.commit()
        return service, old_image


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
        await self._discard(image)
