"""In-memory users, profiles, patients and revoked tokens."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from hospital.adapters.memory.database import InMemoryTable, InMemoryTransaction
from hospital.application.ports.accounts import ProfileDetails
from hospital.domain.actors import Actor
from hospital.domain.errors import ConflictError
from hospital.domain.patients import ALREADY_A_PATIENT, DUPLICATE_PHONE, Patient
from hospital.domain.profiles import PROFILE_EXISTS, UserProfile
from hospital.domain.users import User, username_taken

PATIENTS = "patients"


class _StoredCopies(InMemoryTable):
    """Rows kept apart from the entities handed out, as the SQL store's rows are: ``get`` gives a
    copy, ``add`` and ``save`` store one. A change is stored only by ``save``, as there (a change
    without it is lost, on every store alike)."""

    def _copy(self, entity: Any) -> Any:
        return None if entity is None else copy.copy(entity)

    def _insert(self, entity: Any) -> None:
        super()._insert(entity)
        self._rows[entity.id] = copy.copy(entity)

    def _store(self, entity: Any) -> None:
        super()._store(copy.copy(entity))


class InMemoryUserRepository(_StoredCopies):
    table_name = "users"

    async def add(self, user: User) -> None:
        # The database's unique lower(username) index, for callers that did not ask username_taken().
        if await self.username_taken(user.username):
            raise username_taken()
        self._insert(user)

    async def get(self, user_id: int) -> User | None:
        return self._copy(self._rows.get(user_id))

    async def get_by_username(self, username: str) -> User | None:
        return self._copy(self._named(username))

    def _named(self, username: str) -> User | None:
        # lower(), not casefold(): the same comparison the SQL adapter's lower(username) index makes.
        wanted = username.lower()
        return next((u for u in self._rows.values() if u.username.lower() == wanted), None)

    async def username_taken(self, username: str, *, exclude_id: int | None = None) -> bool:
        user = self._named(username)
        return user is not None and user.id != exclude_id

    async def save(self, user: User) -> None:
        if any(other.id != user.id and other.username.lower() == user.username.lower()
               for other in self._rows.values()):
            raise username_taken()  # the unique index, at the UPDATE as there
        self._store(user)

    async def username_of(self, user_id: int) -> str | None:
        user = self._rows.get(user_id)
        return None if user is None else user.username

    async def actor_for(self, user_id: int) -> Actor | None:
        user = self._rows.get(user_id)
        if user is None or not user.is_active:
            return None
        patient = next((p for p in self._db.table("patients").values() if p.user_id == user_id), None)
        doctor = next((d for d in self._db.table("doctors").values() if d.user_id == user_id), None)
        return Actor(
            user_id=user_id, is_staff=user.is_staff,
            patient_id=patient.id if patient else None, doctor_id=doctor.id if doctor else None,
        )


class InMemoryProfileRepository(_StoredCopies):
    table_name = "profiles"

    def _details(self, profile: UserProfile | None) -> ProfileDetails | None:
        if profile is None:
            return None
        patient = next((p for p in self._db.table(PATIENTS).values() if p.user_id == profile.user_id), None)
        return ProfileDetails(profile=copy.copy(profile), user=copy.copy(self._db.table("users")[profile.user_id]),
                              patient_id=None if patient is None else patient.id)

    async def add(self, profile: UserProfile) -> None:
        if any(p.user_id == profile.user_id for p in self._rows.values()):
            raise ConflictError(PROFILE_EXISTS)
        self._insert(profile)

    async def get(self, profile_id: int) -> ProfileDetails | None:
        return self._details(self._rows.get(profile_id))

    async def get_by_user(self, user_id: int) -> ProfileDetails | None:
        return self._details(next((p for p in self._rows.values() if p.user_id == user_id), None))

    async def save(self, details: ProfileDetails) -> None:
        self._store(details.profile)
        await InMemoryUserRepository(self._db).save(details.user)

    async def delete(self, profile: UserProfile) -> None:
        self._remove(profile)


class InMemoryPatientRepository(InMemoryTable):
    table_name = PATIENTS

    def __init__(self, db: InMemoryTransaction) -> None:
        super().__init__(db)
        self._usernames: dict[int, tuple[int, str]] = {}  # by patient id: the user id and username loaded

    def _check_unique(self, patient: Patient) -> None:
        # The database's unique constraints, so both adapters refuse the same writes.
        for other in self._rows.values():
            if other is patient or other.id == patient.id:
                continue
            if patient.phone is not None and other.phone == patient.phone:
                raise ConflictError.field("phone", DUPLICATE_PHONE)
            if other.user_id == patient.user_id:
                raise ConflictError(ALREADY_A_PATIENT)

    async def add(self, patient: Patient) -> None:
        self._check_unique(patient)
        self._insert(patient)

    async def get(self, patient_id: int) -> Patient | None:
        patient = self._rows.get(patient_id)
        if patient is not None:
            # As the SQL repository: the username read with the record, for its change's answer.
            self._usernames[patient_id] = (patient.user_id, self._db.table("users")[patient.user_id].username)
        return patient

    def username_loaded(self, patient: Patient) -> str | None:
        loaded = self._usernames.get(patient.id) if patient.id is not None else None
        return loaded[1] if loaded is not None and loaded[0] == patient.user_id else None

    async def get_by_user(self, user_id: int) -> Patient | None:
        return next((p for p in self._rows.values() if p.user_id == user_id), None)

    async def exists(self, patient_id: int) -> bool:
        return patient_id in self._rows

    async def phone_taken(self, phone: str, *, exclude_id: int | None = None) -> bool:
        return any(p.phone == phone and p.id != exclude_id for p in self._rows.values())

    async def save(self, patient: Patient) -> None:
        self._check_unique(patient)
        self._store(patient)

    async def delete(self, patient: Patient) -> None:
        self._remove(patient)
        # What the database's ON DELETE CASCADE does for the SQL adapter.
        appointments = self._db.table("appointments")
        for key in [key for key, a in appointments.items() if a.patient_id == patient.id]:
            del appointments[key]


class InMemoryRevokedTokenRepository(InMemoryTable):
    table_name = "revoked_tokens"

    async def revoke(self, *, jti: str, user_id: int, expires_at: datetime, revoked_at: datetime) -> bool:
        # The jti is the table's key: owned until this transaction ends, as a database's row lock,
        # so a concurrent revoke waits for this one's outcome.
        await self._db.claim(self.table_name, jti)
        if await self.is_revoked(jti):
            return False
        self._rows[jti] = (user_id, expires_at, revoked_at)  # type: ignore[index]
        return True

    async def is_revoked(self, jti: str) -> bool:
        return jti in self._rows or jti in self._db.committed(self.table_name)
