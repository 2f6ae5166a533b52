"""User profiles: list, read, create own, update, delete, me. Admins see all; others their own."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date

from hospital.application.access import require_authenticated
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.accounts import ProfileDetails, ProfileView
from hospital.application.ports.clock import Clock
from hospital.application.ports.storage import ImageStorage, UploadedFile
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.application.search import search_terms
from hospital.application.staged_uploads import StagedUpload, staged_upload
from hospital.domain.actors import Actor
from hospital.domain.errors import ConflictError, ErrorCollector, NotFoundError
from hospital.domain.profiles import PROFILE_EXISTS, UserProfile
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

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, images: ImageStorage) -> None:
        self._uow, self._clock, self._images = uow, clock, images

    def _staged_picture(self, changes: ProfileChanges) -> AbstractAsyncContextManager[StagedUpload]:
        """The upload, stored before the transaction opens (image checks are slow and hold no lock),
        kept or removed by the transaction's outcome (staged_uploads.py)."""
        return staged_upload(self._images, changes.profile_picture, folder=PICTURE_FOLDER, field="profile_picture")

    async def _readable(self, uow: UnitOfWork, actor: Actor, profile_id: int) -> ProfileDetails:
        require_authenticated(actor)
        details = await uow.profiles.get(profile_id)
        if details is None:
            raise NotFoundError()
        details.profile.ensure_readable_by(actor)
        return details

    async def _changeable(self, uow: UnitOfWork, actor: Actor, profile_id: int) -> ProfileDetails:
        details = await self._readable(uow, actor, profile_id)
        details.profile.ensure_changeable_by(actor)
        return details

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


class ListProfiles(ProfileUseCase):
    """A page of the profiles the caller may see (admins all, others their own), searchable."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, *, page: PageRequest, search: str = "") -> Page[ProfileView]:
        require_authenticated(actor)
        async with self._uow() as uow:
            found = await uow.profiles.list(
                page=page, search=search_terms(search), user_id=None if actor.is_admin else actor.user_id,
            )
        return Page([ProfileView.of(details) for details in found.items], found.total, found.request)


class GetProfile(ProfileUseCase):
    """One profile the caller may see; another's is 404."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, profile_id: int) -> ProfileView:
        async with self._uow() as uow:
            return ProfileView.of(await self._readable(uow, actor, profile_id))


class GetMyProfile(ProfileUseCase):
    """The caller's own profile."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor) -> ProfileView:
        require_authenticated(actor)
        async with self._uow() as uow:
            details = await uow.profiles.get_by_user(actor.user_id)  # type: ignore[arg-type]
        if details is None:
            raise NotFoundError("You have no profile yet.")
        return ProfileView.of(details)


class CreateProfile(ProfileUseCase):
    """A caller makes their own profile, once; every registered user already has one."""

    async def __call__(self, actor: Actor, changes: ProfileChanges) -> ProfileView:
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
                                         user=user)
                await self._apply(uow, details, changes, picture.name)
                await uow.profiles.add(details.profile)
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
        # Checked before the upload is stored too, so a stranger cannot make us store files.
        await self._refuse_before_upload(actor, profile_id)

        @rerun_on_concurrent_change
        async def update(picture: StagedUpload) -> ProfileView:
            async with self._uow() as uow:
                details = await self._changeable(uow, actor, profile_id)
                old_picture = details.profile.profile_picture
                await self._apply(uow, details, changes, picture.name)
                await picture.commit(uow, replacing=old_picture)
            return ProfileView.of(details)

        async with self._staged_picture(changes) as picture:
            return await update(picture)

    @rerun_on_concurrent_change
    async def _refuse_before_upload(self, actor: Actor, profile_id: int) -> None:
        async with self._uow() as uow:
            await self._changeable(uow, actor, profile_id)


class DeleteProfile(ProfileUseCase):
    """The owner or an admin deletes a profile and its picture; the user account stays."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, profile_id: int) -> None:
        async with self._uow() as uow:
            details = await self._changeable(uow, actor, profile_id)
            picture = details.profile.profile_picture
            await uow.profiles.delete(details.profile)
            await uow.commit()
        if picture:
            await self._images.delete(picture)
