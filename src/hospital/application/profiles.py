"""User profiles: list, read, create own, update, delete, me. Admins see all; others their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hospital.application.access import require_authenticated
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.accounts import ProfileDetails
from hospital.application.ports.clock import Clock
from hospital.application.ports.storage import ImageStorage, UploadedFile
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.domain.actors import Actor
from hospital.domain.errors import ConflictError, ErrorCollector, NotFoundError
from hospital.domain.profiles import UserProfile

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
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, images: ImageStorage) -> None:
        self._uow, self._clock, self._images = uow, clock, images

    async def _readable(self, uow: UnitOfWork, actor: Actor, profile_id: int) -> ProfileDetails:
        require_authenticated(actor)
        details = await uow.profiles.get(profile_id)
        if details is None:
            raise NotFoundError()
        details.profile.ensure_readable_by(actor)
        return details

    async def _apply(self, uow: UnitOfWork, details: ProfileDetails, changes: ProfileChanges,
                     picture: str | None) -> None:
        errors = ErrorCollector()
        user, profile = details.user, details.profile
        if changes.username is not None and (
            await uow.users.username_taken(changes.username.strip(), exclude_id=user.id)
        ):
            errors.add("username", "A user with that username already exists.")
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

    async def _store_picture(self, changes: ProfileChanges) -> str | None:
        if changes.profile_picture is None:
            return None
        return await self._images.save_image(changes.profile_picture, folder=PICTURE_FOLDER,
                                             field="profile_picture")


class ListProfiles(ProfileUseCase):
    async def __call__(self, actor: Actor, *, page: PageRequest, search: str = "") -> Page[ProfileDetails]:
        require_authenticated(actor)
        async with self._uow() as uow:
            return await uow.profiles.list(
                page=page, search=search, user_id=None if actor.is_admin else actor.user_id,
            )


class GetProfile(ProfileUseCase):
    async def __call__(self, actor: Actor, profile_id: int) -> ProfileDetails:
        async with self._uow() as uow:
            return await self._readable(uow, actor, profile_id)


class GetMyProfile(ProfileUseCase):
    async def __call__(self, actor: Actor) -> ProfileDetails:
        require_authenticated(actor)
        async with self._uow() as uow:
            details = await uow.profiles.get_by_user(actor.user_id)  # type: ignore[arg-type]
        if details is None:
            raise NotFoundError("You have no profile yet.")
        return details


class CreateProfile(ProfileUseCase):
    """A caller makes their own profile, once; every registered user already has one."""

    async def __call__(self, actor: Actor, changes: ProfileChanges) -> ProfileDetails:
        require_authenticated(actor)
        assert actor.user_id is not None
        async with self._uow() as uow:
            if await uow.profiles.get_by_user(actor.user_id) is not None:
                raise ConflictError("You already have a profile.")
        picture = await self._store_picture(changes)
        async with self._uow() as uow:
            user = await uow.users.get(actor.user_id)
            if user is None:
                raise NotFoundError()
            profile = UserProfile.create(user_id=actor.user_id, now=self._clock.now())
            details = ProfileDetails(profile=profile, user=user)
            await self._apply(uow, details, changes, picture)
            if await uow.profiles.get_by_user(actor.user_id) is not None:
                raise ConflictError("You already have a profile.")
            await uow.profiles.add(profile)
            await uow.commit()
        return details


class UpdateProfile(ProfileUseCase):
    async def __call__(self, actor: Actor, profile_id: int, changes: ProfileChanges) -> ProfileDetails:
        async with self._uow() as uow:
            (await self._readable(uow, actor, profile_id)).profile.ensure_changeable_by(actor)
        # Store the upload outside the transaction: image checks are slow and hold no lock.
        picture = await self._store_picture(changes)
        try:
            async with self._uow() as uow:
                details = await self._readable(uow, actor, profile_id)
                details.profile.ensure_changeable_by(actor)
                old_picture = details.profile.profile_picture
                await self._apply(uow, details, changes, picture)
                await uow.commit()
        except BaseException:
            if picture is not None:
                await self._images.delete(picture)
            raise
        if picture is not None and old_picture and old_picture != picture:
            await self._images.delete(old_picture)
        return details


class DeleteProfile(ProfileUseCase):
    async def __call__(self, actor: Actor, profile_id: int) -> None:
        async with self._uow() as uow:
            details = await self._readable(uow, actor, profile_id)
            details.profile.ensure_changeable_by(actor)
            picture = details.profile.profile_picture
            await uow.profiles.delete(details.profile)
            await uow.commit()
        if picture:
            await self._images.delete(picture)

