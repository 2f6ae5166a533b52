"""Doctors: anyone reads them; admins create and delete; the doctor themself or an admin updates.

Reads go through the read side (read_side.py), which answers with names resolved in a fixed
number of statements; writes go through the Doctor entity and its repository, and answer with the
same read model, read in their own transaction (``uow.doctor_reads``).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from hospital.application.access import require_admin, require_authenticated
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.catalogue import (
    DoctorFilters,
    DoctorReadModel,
    DuplicateDoctorError,
)
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.storage import ImageStorage, UploadedFile
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.required_fields import require_fields
from hospital.application.retry import rerun_on_concurrent_change
from hospital.application.staged_uploads import StagedUpload, staged_upload
from hospital.domain.actors import Actor
from hospital.domain.doctors import Doctor
from hospital.domain.errors import ErrorCollector, NotFoundError

PROFILE_FOLDER = "doctors"


def unknown_pk(pk: object) -> str:
    return f'Invalid pk "{pk}" - object does not exist.'


@dataclass(frozen=True, slots=True)
class DoctorChanges:
    """What a caller sends to create or change a doctor, in the wire's names: ``user`` is the user's id,
    ``designation``, ``specialisation`` and ``available_time`` are lists of ids. None means "not sent";
    ``user`` None on create means the caller."""

    user: int | None = None
    designation: tuple[int, ...] | None = None
    specialisation: tuple[int, ...] | None = None
    available_time: tuple[int, ...] | None = None
    fee: int | None = None
    meet_link: str | None = None
    profile: UploadedFile | None = None


class _IdLookup(Protocol):
    async def existing_ids(self, ids: Iterable[int]) -> set[int]: ...


class DoctorUseCase:
    """The doctor use cases' shared wiring: records, their pictures, and the checks of the ids they name."""

    def __init__(self, uow: UnitOfWorkFactory, images: ImageStorage) -> None:
        self._uow, self._images = uow, images

    @staticmethod
    async def _doctor(uow: UnitOfWork, doctor_id: int) -> Doctor:
        doctor = await uow.doctors.get(doctor_id)
        if doctor is None:
            raise NotFoundError()
        return doctor

    @staticmethod
    async def _view(uow: UnitOfWork, doctor_id: int | None) -> DoctorReadModel:
        view = await uow.doctor_reads.get(doctor_id) if doctor_id is not None else None
        if view is None:
            raise NotFoundError()
        return view

    @staticmethod
    async def _check_user(uow: UnitOfWork, errors: ErrorCollector, user_id: int,
                          doctor_id: int | None = None) -> None:
        """The user must exist and have no other doctor record."""
        if await uow.users.username_of(user_id) is None:  # a read the unit's transaction may hold
            errors.add("user", unknown_pk(user_id))
            return
        other = await uow.doctors.get_by_user(user_id)
        if other is not None and other.id != doctor_id:
            for message in DuplicateDoctorError().errors["user"]:
                errors.add("user", message)

    @staticmethod
    async def _check_references(uow: UnitOfWork, errors: ErrorCollector, changes: DoctorChanges) -> None:
        """Every id sent must exist; a field the domain already refused is not looked up."""
        lists: tuple[tuple[str, tuple[int, ...] | None, _IdLookup], ...] = (
            ("designation", changes.designation, uow.designations),
            ("specialisation", changes.specialisation, uow.specialisations),
            ("available_time", changes.available_time, uow.available_times),
        )
        for field, ids, repository in lists:
            if ids is None or field in errors.errors:
                continue
            wanted = list(dict.fromkeys(ids))
            existing = await repository.existing_ids(wanted)
            for pk in wanted:
                if pk not in existing:
                    errors.add(field, unknown_pk(pk))

    def _staged_profile(self, upload: UploadedFile | None) -> AbstractAsyncContextManager[StagedUpload]:
        """The upload, stored before the transaction opens (image checks are slow and hold no lock),
        kept or removed by the transaction's outcome (staged_uploads.py)."""
        return staged_upload(self._images, upload, folder=PROFILE_FOLDER, field="profile")


class DoctorReadCase:
    """The doctor use cases that only read: on the read side."""

    def __init__(self, reads: ReadSide) -> None:
        self._reads = reads


class ListDoctors(DoctorReadCase):
    """Public: anyone, signed in or not, browses the doctors."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, *, page: PageRequest,
                       filters: DoctorFilters = DoctorFilters()) -> Page[DoctorReadModel]:
        return await self._reads.doctors.page(page=page, filters=filters)


class DoctorViewsVersion(DoctorReadCase):
    """Where the doctor views stand: cached views made at another number are stale."""

    @rerun_on_concurrent_change
    async def __call__(self) -> int:
        return await self._reads.doctors.version()


class GetDoctor(DoctorReadCase):
    """Public: one doctor as the list shows them; an unknown id is 404."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, doctor_id: int) -> DoctorReadModel:
        view = await self._reads.doctors.get(doctor_id)
        if view is None:
            raise NotFoundError()
        return view


class CreateDoctor(DoctorUseCase):
    """Admins only. The record is for the admin themself unless they name another user."""

    async def _build(self, uow: UnitOfWork, user_id: int, changes: DoctorChanges,
                     profile: str | None) -> Doctor:
        errors = ErrorCollector()
        doctor = errors.collect(lambda: Doctor.create(
            user_id=user_id, designation_ids=changes.designation,
            specialisation_ids=changes.specialisation, available_time_ids=changes.available_time,
            fee=changes.fee, meet_link=changes.meet_link or "", profile=profile,
        ))
        await self._check_user(uow, errors, user_id)
        await self._check_references(uow, errors, changes)
        errors.raise_if_any()
        assert doctor is not None
        return doctor

    async def __call__(self, actor: Actor, changes: DoctorChanges) -> DoctorReadModel:
        require_admin(actor)
        user_id = actor.user_id if changes.user is None else changes.user
        assert user_id is not None
        if changes.profile is not None:
            # Refuse bad input before the upload is checked and stored: that is the slow part.
            await self._refuse_before_upload(user_id, changes)
        async with self._staged_profile(changes.profile) as profile:
            return await self._create(user_id, changes, profile)

    @rerun_on_concurrent_change
    async def _refuse_before_upload(self, user_id: int, changes: DoctorChanges) -> None:
        async with self._uow() as uow:
            await self._build(uow, user_id, changes, None)

    @rerun_on_concurrent_change
    async def _create(self, user_id: int, changes: DoctorChanges, profile: StagedUpload) -> DoctorReadModel:
        async with self._uow() as uow:
            doctor = await self._build(uow, user_id, changes, profile.name)
            await uow.doctors.add(doctor)
            view = await self._view(uow, doctor.id)
            await profile.commit(uow)
        return view


class UpdateDoctor(DoctorUseCase):
    """The doctor themself or an admin; only an admin moves the record to another user.

    ``partial`` is PATCH; a full update (PUT) must send the three lists and the fee.
    """

    async def _apply(self, uow: UnitOfWork, actor: Actor, doctor: Doctor, changes: DoctorChanges,
                     partial: bool, profile: str | None) -> None:
        doctor.ensure_changeable_by(actor)
        if changes.user is not None and changes.user != doctor.user_id:
            doctor.reassign(changes.user, by=actor)
            errors = ErrorCollector()
            await self._check_user(uow, errors, changes.user, doctor.id)
            errors.raise_if_any()
        if not partial:
            require_fields(designation=changes.designation, specialisation=changes.specialisation,
                           available_time=changes.available_time, fee=changes.fee)
        errors = ErrorCollector()
        errors.collect(lambda: doctor.update(
            designation_ids=changes.designation, specialisation_ids=changes.specialisation,
            available_time_ids=changes.available_time, fee=changes.fee, meet_link=changes.meet_link,
            profile=profile,
        ))
        await self._check_references(uow, errors, changes)
        errors.raise_if_any()

    async def __call__(self, actor: Actor, doctor_id: int, changes: DoctorChanges, *,
                       partial: bool = False) -> DoctorReadModel:
        require_authenticated(actor)
        if changes.profile is not None:
            await self._refuse_before_upload(actor, doctor_id, changes, partial)
        async with self._staged_profile(changes.profile) as profile:
            return await self._update(actor, doctor_id, changes, partial, profile)

    @rerun_on_concurrent_change
    async def _refuse_before_upload(self, actor: Actor, doctor_id: int, changes: DoctorChanges, partial: bool) -> None:
        """The request's refusals, before its upload is checked and stored (the slow part); nothing is written."""
        async with self._uow() as uow:
            await self._apply(uow, actor, await self._doctor(uow, doctor_id), changes, partial, None)

    @rerun_on_concurrent_change
    async def _update(self, actor: Actor, doctor_id: int, changes: DoctorChanges, partial: bool,
                      profile: StagedUpload) -> DoctorReadModel:
        async with self._uow() as uow:
            doctor = await self._doctor(uow, doctor_id)
            old_profile = doctor.profile
            await self._apply(uow, actor, doctor, changes, partial, profile.name)
            await uow.doctors.save(doctor)
            # Named with what its load read, unless the change names another user or other labels.
            view = uow.doctors.view_loaded(doctor) or await self._view(uow, doctor.id)
            await profile.commit(uow, replacing=old_profile)
        return view


class DeleteDoctor(DoctorUseCase):
    """Admins only: delete a doctor record (the user account stays) and its picture."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, doctor_id: int) -> None:
        require_admin(actor)
        async with self._uow() as uow:
            doctor = await self._doctor(uow, doctor_id)
            profile = doctor.profile
            await uow.doctors.delete(doctor)
            await uow.commit()
        if profile:
            await self._images.delete(profile)
