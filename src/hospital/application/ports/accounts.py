"""Repositories of the accounts area: users, profiles, patients, revoked refresh tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from hospital.application.pagination import Page, PageRequest
from hospital.domain.actors import Actor
from hospital.domain.patients import Patient
from hospital.domain.profiles import UserProfile
from hospital.domain.users import User


@dataclass(frozen=True, slots=True)
class ProfileDetails:
    """A profile with its user, as the profile use cases load them to check and change them, and
    the patient record of that user (whose data the profile is, to the audit log; None if none)."""

    profile: UserProfile
    user: User
    patient_id: int | None = None


@dataclass(frozen=True, slots=True)
class UserView:
    """A stored account as callers see it (no password hash, no token version): what registration,
    ``CreateSuperuser`` and every profile answer with."""

    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    is_staff: bool
    is_active: bool
    date_joined: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        assert user.id is not None and user.date_joined is not None, "only a stored user is shown"
        return cls(
            id=user.id, username=user.username, email=user.email, first_name=user.first_name,
            last_name=user.last_name, is_staff=user.is_staff, is_active=user.is_active,
            date_joined=user.date_joined,
        )


@dataclass(frozen=True, slots=True)
class ProfileView:
    """A profile with its user, the shape every profile endpoint answers with; ``profile_picture`` is
    the stored picture's name (the HTTP layer makes it a URL)."""

    id: int
    user: UserView
    bio: str
    address: str
    date_of_birth: date | None
    profile_picture: str | None
    created_at: datetime
    updated_at: datetime
    # The patient record of the profile's user (whose data the profile is, to the audit log); not on
    # the wire. The read side fills it in; None when the user has no patient record.
    patient_id: int | None = None

    @classmethod
    def of(cls, details: ProfileDetails) -> ProfileView:
        profile = details.profile
        assert profile.id is not None and profile.created_at and profile.updated_at, "only a stored profile is shown"
        return cls(
            id=profile.id, user=UserView.of(details.user), bio=profile.bio, address=profile.address,
            date_of_birth=profile.date_of_birth, profile_picture=profile.profile_picture,
            created_at=profile.created_at, updated_at=profile.updated_at,
        )


class ProfileReads(Protocol):
    """The read side of profiles (read_side.py says what every read port guarantees)."""

    async def page(self, *, page: PageRequest, search: Sequence[str] = (),
                   user_id: int | None = None) -> Page[ProfileView]:
        """Ordered by id; each ``search`` term is found, ignoring case, in the username, email, first
        or last name; ``user_id`` keeps only that user's profile."""
        ...

    async def get(self, profile_id: int) -> ProfileView | None: ...

    async def get_by_user(self, user_id: int) -> ProfileView | None: ...


class ActorReads(Protocol):
    """Who a user is to the use cases (read_side.py says what every read port guarantees)."""

    async def actor_for(self, user_id: int) -> Actor | None:
        """The actor for an active user (with its patient and doctor ids), None otherwise, as of a
        moment after the call began: a deactivation, deletion or role change committed before it, by
        anyone, is always seen (an adapter may keep actors only if it can tell they are unchanged)."""
        ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Store a new user and give it an id."""
        ...

    async def get(self, user_id: int) -> User | None: ...

    async def get_by_username(self, username: str) -> User | None: ...

    async def username_taken(self, username: str, *, exclude_id: int | None = None) -> bool:
        """Case-insensitively, so 'Alice' and 'alice' cannot both exist."""
        ...

    async def actor_for(self, user_id: int) -> Actor | None:
        """The actor for an active user (with its patient and doctor ids), None otherwise."""
        ...

    async def username_of(self, user_id: int) -> str | None:
        """The user's username, without loading the user (one indexed read, which sees this unit's
        writes); None when there is no such user."""
        ...

    async def save(self, user: User) -> None:
        """Write its changes now (those since it was read; none, nothing written): a username
        another user took meanwhile is a ConflictError.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...


class ProfileRepository(Protocol):
    async def add(self, profile: UserProfile) -> None: ...

    async def get(self, profile_id: int) -> ProfileDetails | None:
        """The profile and its user, read for change (a concurrent writer of either waits for this
        unit, or this unit for it)."""
        ...

    async def get_by_user(self, user_id: int) -> ProfileDetails | None: ...

    async def save(self, details: ProfileDetails) -> None:
        """Write the changes of the profile and of its user now (``UserRepository.save``).
        ConcurrentChangeError if either changed or went since it was read (unit_of_work.py)."""
        ...

    async def delete(self, profile: UserProfile) -> None:
        """Remove it.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...


class PatientRepository(Protocol):
    async def add(self, patient: Patient) -> None: ...

    async def get(self, patient_id: int) -> Patient | None:
        """The record to change, read with its user's username (``username_loaded``)."""
        ...

    def username_loaded(self, patient: Patient) -> str | None:
        """The username ``get`` read with ``patient``, if it still belongs to that user (None: read it
        instead). No statement: what a change answers with, its load's username."""
        ...

    async def get_by_user(self, user_id: int) -> Patient | None: ...

    async def exists(self, patient_id: int) -> bool:
        """Whether there is such a patient, without loading it (one indexed read)."""
        ...

    async def phone_taken(self, phone: str, *, exclude_id: int | None = None) -> bool: ...

    async def save(self, patient: Patient) -> None:
        """Write changes now, so a phone that another patient took meanwhile is a ConflictError.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...

    async def delete(self, patient: Patient) -> None:
        """Remove the record and, with it, the patient's appointments.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...


class RevokedTokenRepository(Protocol):
    async def revoke(self, *, jti: str, user_id: int, expires_at: datetime, revoked_at: datetime) -> bool:
        """Revoke a refresh token (or a family's marker) in one atomic step: True when this call
        revoked it, False when it was revoked already, by this unit of work or by another one that
        committed first. Of any number of concurrent callers exactly one gets True; the store
        decides (a primary key), so a caller that read "not revoked" a moment before can still lose.
        """
        ...

    async def is_revoked(self, jti: str) -> bool: ...
