"""User profiles: list, read, create own, update, delete, me. Admins see all; others their own."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date

from hospital.application import auditing
from hospital.application.access import require_authenticated
from hospital.application.auditing import Attempt, attempt, entry
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.accounts import ProfileDetails, ProfileView
from hospital.application.ports.audit import AuditLog
from hospital.application.ports.clock import Clock
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.storage import ImageStorage, UploadedFile
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.application.search import search_terms
from hospital.application.staged_uploads import StagedUpload, staged_upload
from hospital.domain.actors import Actor
from hospital.domain.audit import AuditAction, ResourceType
from hospital.domain.errors import ConflictError, DomainError, ErrorCollector, NotFoundError
from hospital.domain.profiles import PROFILE_EXISTS, UserProfile, ensure_profile_readable_by
from hospital.domain.users import USERNAME_TAKEN

PICTURE_FOLDER = "profile_pictures"


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """Fields a caller may set; None means "leave as it is". User fields change the account too."""

    username: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    bio: str | None = None
    address: str | None = None
    date_of_birth: date | None = None
    clear_date_of_birth: bool = False
    profile_picture: UploadedFile | None = None


class ProfileUseCase:
    """The profile use cases' shared wiring and access rules."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, images: ImageStorage, audit: AuditLog) -> None:
        self._uow, self._clock, self._images, self._audit = uow, clock, images, audit

    def _staged_picture(self, changes: ProfileChanges) -> AbstractAsyncContextManager[StagedUpload]:
        """The upload, stored before the transaction opens (image checks are slow and hold no lock),
        kept or removed by the transaction's outcome (staged_uploads.py)."""
        return staged_upload(self._images, changes.profile_picture, folder=PICTURE_FOLDER, field="profile_picture")

    async def _readable(self, uow: UnitOfWork, actor: Actor, profile_id: int,
                        attempt: Attempt | None = None) -> ProfileDetails:
        require_authenticated(actor)
        details = await uow.profiles.get(profile_id)
        if details is None:
            raise NotFoundError()
        if attempt is not None:  # whose profile it is, refused or not
            attempt.concerns(details.patient_id)
        details.profile.ensure_readable_by(actor)
        return details

    async def _changeable(self, uow: UnitOfWork, actor: Actor, profile_id: int,
                          attempt: Attempt | None = None) -> ProfileDetails:
        details = await self._readable(uow, actor, profile_id, attempt)
        details.profile.ensure_changeable_by(actor)
        return details

    def _attempt(self, actor: Actor, action: AuditAction,
                 profile_id: int | None = None) -> AbstractAsyncContextManager[Attempt]:
        return attempt(self._audit, actor, action, ResourceType.PROFILE, resource_id=profile_id)

    @staticmethod
    async def _audit_change(uow: UnitOfWork, actor: Actor, action: AuditAction, details: ProfileDetails) -> None:
        await uow.audit.append(entry(actor, action, ResourceType.PROFILE, resource_id=details.profile.id,
                                     patient_ids=[details.patient_id]))

    async def _apply(self, uow: UnitOfWork, details: ProfileDetails, changes: ProfileChanges,
                     picture: str | None) -> None:
        """Change the user and the profile, or neither: every problem is reported at once."""
        errors = ErrorCollector()
        user, profile = details.user, details.profile
        if changes.username is not None and (
            await uow.users.username_taken(changes.username.strip(), exclude_id=user.id)
        ):
            errors.add("username", USERNAME_TAKEN)
        # Both validate before they change anything; a failure rolls the transaction back anyway.
        errors.collect(lambda: user.rename(
            username=changes.username, email=changes.email, first_name=changes.first_name,
            last_name=changes.last_name,
        ))
        errors.collect(lambda: profile.update(
            now=self._clock.now(), bio=changes.bio, address=changes.address,
            date_of_birth=changes.date_of_birth, clear_date_of_birth=changes.clear_date_of_birth,
            profile_picture=picture,
        ))
        errors.raise_if_any()


async def _patient_of(uow: UnitOfWork, user_id: int) -> int | None:
    """The patient record of a new profile's user: whose data a profile is, to the audit log (a
    profile read comes with it: ``ProfileDetails.patient_id``)."""
    patient = await uow.patients.get_by_user(user_id)
    return patient.id if patient is not None else None


class ListProfiles:
    """A page of the profiles the caller may see (admins all, others their own), searchable.
    Audited: one event naming the patient of every profile on the page, with the search."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor, *, page: PageRequest, search: str = "") -> Page[ProfileView]:
        return await auditing.searched(self._audit, actor, ResourceType.PROFILE, self._list(actor, page, search),
                                       lambda found: [view.patient_id for view in found.items], {"search": search})

    @rerun_on_concurrent_change
    async def _list(self, actor: Actor, page: PageRequest, search: str) -> Page[ProfileView]:
        require_authenticated(actor)
        return await self._reads.profiles.page(
            page=page, search=search_terms(search), user_id=None if actor.is_admin else actor.user_id,
        )


class GetProfile:
    """One profile the caller may see; another's is 404. Audited, refusals included."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor, profile_id: int) -> ProfileView:
        try:
            view = await self._get(actor, profile_id)
        except DomainError as error:
            await auditing.refused(self._audit, actor, AuditAction.READ, ResourceType.PROFILE, error,
                                   resource_id=profile_id, patient_ids=[await self._owner(profile_id)])
            raise
        await auditing.read(self._audit, actor, ResourceType.PROFILE, view.id, view.patient_id)
        return view

    @rerun_on_concurrent_change
    async def _get(self, actor: Actor, profile_id: int) -> ProfileView:
        require_authenticated(actor)
        view = await self._reads.profiles.get(profile_id)
        if view is None:
            raise NotFoundError()
        ensure_profile_readable_by(actor, owner=view.user.id)
        return view

    async def _owner(self, profile_id: int) -> int | None:
        """Whose profile a refused read reached, if it exists (only the audit log is told)."""
        try:
            view = await self._reads.profiles.get(profile_id)
        except DomainError:
            return None
        return None if view is None else view.patient_id


class GetMyProfile:
    """The caller's own profile. Audited, its absence included."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor) -> ProfileView:
        try:
            view = await self._get(actor)
        except DomainError as error:
            await auditing.refused(self._audit, actor, AuditAction.READ, ResourceType.PROFILE, error,
                                   patient_ids=[actor.patient_id])
            raise
        await auditing.read(self._audit, actor, ResourceType.PROFILE, view.id, view.patient_id)
        return view

    @rerun_on_concurrent_change
    async def _get(self, actor: Actor) -> ProfileView:
        require_authenticated(actor)
        view = await self._reads.profiles.get_by_user(actor.user_id)  # type: ignore[arg-type]
        if view is None:
            raise NotFoundError("You have no profile yet.")
        return view


class CreateProfile(ProfileUseCase):
    """A caller makes their own profile, once; every registered user already has one."""

    async def __call__(self, actor: Actor, changes: ProfileChanges) -> ProfileView:
        async with self._attempt(actor, AuditAction.CREATE) as attempted:
            attempted.concerns(actor.patient_id)
            return await self._create(actor, changes)

    async def _create(self, actor: Actor, changes: ProfileChanges) -> ProfileView:
        require_authenticated(actor)
        user_id = actor.user_id
        assert user_id is not None
        # Checked before the upload is stored too, so a doomed request costs no image work.
        await self._refuse_before_upload(user_id)

        @rerun_on_concurrent_change
        async def create(picture: StagedUpload) -> ProfileView:
            async with self._uow() as uow:
                await self._ensure_none(uow, user_id)
                user = await uow.users.get(user_id)
                if user is None:
                    raise NotFoundError()
                details = ProfileDetails(profile=UserProfile.create(user_id=user_id, now=self._clock.now()),
                                         user=user, patient_id=await _patient_of(uow, user_id))
                await self._apply(uow, details, changes, picture.name)
                await uow.profiles.add(details.profile)
                await uow.users.save(user)
                await self._audit_change(uow, actor, AuditAction.CREATE, details)
                await picture.commit(uow)
            return ProfileView.of(details)

        async with self._staged_picture(changes) as picture:
            return await create(picture)

    @rerun_on_concurrent_change
    async def _refuse_before_upload(self, user_id: int) -> None:
        async with self._uow() as uow:
            await self._ensure_none(uow, user_id)

    @staticmethod
    async def _ensure_none(uow: UnitOfWork, user_id: int) -> None:
        if await uow.profiles.get_by_user(user_id) is not None:
            raise ConflictError(PROFILE_EXISTS)


class UpdateProfile(ProfileUseCase):
    """PUT and PATCH alike: only the fields sent change."""

    async def __call__(self, actor: Actor, profile_id: int, changes: ProfileChanges) -> ProfileView:
        async with self._attempt(actor, AuditAction.UPDATE, profile_id) as attempted:
            if changes.profile_picture is not None:
                # Checked before the upload is stored too, so a stranger cannot make us store files.
                await self._refuse_before_upload(actor, profile_id, attempted)

            @rerun_on_concurrent_change
            async def update(picture: StagedUpload) -> ProfileView:
                async with self._uow() as uow:
                    details = await self._changeable(uow, actor, profile_id, attempted)
                    old_picture = details.profile.profile_picture
                    await self._apply(uow, details, changes, picture.name)
                    await uow.profiles.save(details)
                    await self._audit_change(uow, actor, AuditAction.UPDATE, details)
                    await picture.commit(uow, replacing=old_picture)
                return ProfileView.of(details)

            async with self._staged_picture(changes) as picture:
                return await update(picture)

    @rerun_on_concurrent_change
    async def _refuse_before_upload(self, actor: Actor, profile_id: int, attempted: Attempt) -> None:
        async with self._uow() as uow:
            await self._changeable(uow, actor, profile_id, attempted)


class DeleteProfile(ProfileUseCase):
    """The owner or an admin deletes a profile and its picture; the user account stays."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, profile_id: int) -> None:
        async with self._attempt(actor, AuditAction.DELETE, profile_id) as attempted, self._uow() as uow:
            details = await self._changeable(uow, actor, profile_id, attempted)
            picture = details.profile.profile_picture
            await self._audit_change(uow, actor, AuditAction.DELETE, details)
            await uow.profiles.delete(details.profile)
            await uow.commit()
        if picture:
            await self._images.delete(picture)
