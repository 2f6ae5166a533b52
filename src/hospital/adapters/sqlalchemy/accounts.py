"""SQLAlchemy repositories of users, profiles, patients and revoked tokens: users, profiles and
patients on prepared statements (entity_table.py), revoked tokens through the ORM session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, exists, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from hospital.adapters.sqlalchemy.dialects import insert_ignoring_duplicates
from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.entity_table import EntityTable, TransactionOwner, statements_for
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.adapters.sqlalchemy.tables import accounts as t
from hospital.adapters.sqlalchemy.tables.catalogue import doctors
from hospital.adapters.sqlalchemy.tables.versions import ACTORS, data_versions
from hospital.application.ports.accounts import ProfileDetails
from hospital.domain.actors import Actor
from hospital.domain.patients import Patient
from hospital.domain.profiles import UserProfile
from hospital.domain.users import User

# Who the caller is, with their patient and doctor ids.
_ACTOR = PreparedQuery(
    select(t.users.c.is_staff, t.patients.c.id, doctors.c.id)
    .select_from(t.users)
    .outerjoin(t.patients, t.patients.c.user_id == t.users.c.id)
    .outerjoin(doctors, doctors.c.user_id == t.users.c.id)
    .where(t.users.c.id == bindparam("user_id"), t.users.c.is_active.is_(True))
)
_ACTORS_VERSION = PreparedQuery(
    select(data_versions.c.version).where(data_versions.c.name == literal_column(f"'{ACTORS}'"))
)

_USERNAME = PreparedQuery(select(t.users.c.username).where(t.users.c.id == bindparam("user_id")))

# Users whose actors a worker keeps; about 200 bytes each. Oldest out first.
KNOWN_ACTORS = 10_000


class KnownActors:
    """The actors a worker has read, each labelled with the ``actors`` data version read before it.

    Migration 0010's triggers move that version in the transaction of every write that changes an
    actor (activity, staff flag, deletion, a patient or doctor record gained or lost), whoever
    writes. An actor is reused only while the version read for this request equals its label: the
    version is read after the request began, so a change committed before it is never missed, on
    any worker. An actor read while such a change commits carries the version from before it and is
    only ever reused under that version, which the change has already moved past.
    """

    __slots__ = ("_actors", "_size")

    def __init__(self, size: int = KNOWN_ACTORS) -> None:
        self._actors: dict[int, tuple[int, Actor | None]] = {}
        self._size = size

    def get(self, user_id: int, version: int) -> tuple[bool, Actor | None]:
        """Whether an actor (or the absence of one) known at ``version`` is kept, and which."""
        known = self._actors.get(user_id)
        if known is None or known[0] != version:
            return False, None
        return True, known[1]

    def keep(self, user_id: int, version: int, actor: Actor | None) -> None:
        self._actors.pop(user_id, None)
        if len(self._actors) >= self._size:
            del self._actors[next(iter(self._actors))]
        self._actors[user_id] = (version, actor)


class SqlAlchemyActorReads:
    """With ``known`` (the read side's, one per worker): one shared version check per request, and
    the actor's statement only when the version moved or the user is new to this worker. Without it
    (a unit of work's, which must see its own writes): the actor's statement."""

    def __init__(self, reads: ReadRunner, known: KnownActors | None = None) -> None:
        self._reads, self._known = reads, known

    async def actor_for(self, user_id: int) -> Actor | None:
        if not storable(user_id):
            return None
        if self._known is None:
            return await self._read(user_id)
        # No row yet: no actor was ever changed since the schema was made.
        version = await self._reads.shared_value(_ACTORS_VERSION) or 0
        kept, actor = self._known.get(user_id, version)
        if not kept:
            actor = await self._read(user_id)
            self._known.keep(user_id, version, actor)
        return actor

    async def _read(self, user_id: int) -> Actor | None:
        row = await self._reads.first(_ACTOR, {"user_id": user_id})
        if row is None:
            return None
        return Actor(user_id=user_id, is_staff=bool(row[0]), patient_id=row[1], doctor_id=row[2])


_USERS, _PROFILES = t.users, t.user_profiles
# As EntityTable reads a row: id, the attributes in table order, version (entity_table.py).
_USER_COLUMNS = (_USERS.c.id, *statements_for(_USERS).columns, _USERS.c.version)
_PROFILE_COLUMNS = (_PROFILES.c.id, *statements_for(_PROFILES).columns, _PROFILES.c.version)
_USER_NAMED = PreparedQuery(select(*_USER_COLUMNS).where(func.lower(_USERS.c.username) == bindparam("username")))
_USERNAME_TAKEN = PreparedQuery(select(_USERS.c.id).where(func.lower(_USERS.c.username) == bindparam("username")))
_USERNAME_TAKEN_BY_OTHER = PreparedQuery(select(_USERS.c.id).where(
    func.lower(_USERS.c.username) == bindparam("username"), _USERS.c.id != bindparam("exclude_id")))

# A profile with its user, and the patient record of that user (whose data the profile is, to the audit
# log), in one statement; both rows locked on PostgreSQL (as EntityTable.get): the profile's writers
# queue on them. The patient id is a scalar subquery, not an outer join, which FOR UPDATE refuses.
_PATIENT_OF_USER_ID = select(t.patients.c.id).where(t.patients.c.user_id == _USERS.c.id).scalar_subquery()
_DETAILS = select(*_PROFILE_COLUMNS, *_USER_COLUMNS, _PATIENT_OF_USER_ID).select_from(
    _PROFILES.join(_USERS, _USERS.c.id == _PROFILES.c.user_id))
_PROFILE_DETAILS = PreparedQuery(_DETAILS.where(_PROFILES.c.id == bindparam("id")).with_for_update())
_PROFILE_DETAILS_OF_USER = PreparedQuery(_DETAILS.where(_PROFILES.c.user_id == bindparam("user_id"))
                                         .with_for_update())


class SqlAlchemyUserRepository(EntityTable[User]):
    """One row each, one prepared statement per read and write (entity_table.py); a save writes the
    columns that changed only (entity_table.py: the users table's triggers fire on the columns
    written). A username another request took after the use case checked is refused by the unique
    index on lower(username), raised as the use case's own refusal (database_errors.py)."""

    def __init__(self, uow: TransactionOwner, reads: ReadRunner) -> None:
        super().__init__(uow, reads, User, _USERS)
        self._actors = SqlAlchemyActorReads(reads)

    async def get_by_username(self, username: str) -> User | None:
        """A read, not a read for change: outside any transaction unless the unit has begun one
        (a login checks the password on it, then reads the user for change with ``get``)."""
        row = await self._reads.first(_USER_NAMED, {"username": username.lower()})
        return None if row is None else self._entity_of(row)

    async def username_taken(self, username: str, *, exclude_id: int | None = None) -> bool:
        """In the unit's transaction: a username it gave or freed counts."""
        if exclude_id is None or not storable(exclude_id):
            return bool(await self._uow.write(_USERNAME_TAKEN, {"username": username.lower()}))
        return bool(await self._uow.write(_USERNAME_TAKEN_BY_OTHER,
                                          {"username": username.lower(), "exclude_id": exclude_id}))

    async def actor_for(self, user_id: int) -> Actor | None:
        return await self._actors.actor_for(user_id)

    async def username_of(self, user_id: int) -> str | None:
        if not storable(user_id):
            return None
        return await self._reads.value(_USERNAME, {"user_id": user_id})


class SqlAlchemyProfileRepository(EntityTable[UserProfile]):
    """One row each, as users (entity_table.py). A profile is read with its user and the user's
    patient id in one statement; its user is then saved through ``users`` (the unit's users
    repository, which remembers what it read), so a save writes what changed of either row only."""

    def __init__(self, uow: TransactionOwner, reads: ReadRunner, users: SqlAlchemyUserRepository) -> None:
        super().__init__(uow, reads, UserProfile, _PROFILES)
        self._users = users

    async def _details(self, query: PreparedQuery, parameters: dict[str, int]) -> ProfileDetails | None:
        rows = await self._uow.write(query, parameters)
        if not rows:
            return None
        row, split = tuple(rows[0]), len(_PROFILE_COLUMNS)
        return ProfileDetails(profile=self.entity_of(row[:split]),
                              user=self._users.entity_of(row[split:split + len(_USER_COLUMNS)]),
                              patient_id=row[-1])

    async def get(self, profile_id: int) -> ProfileDetails | None:  # type: ignore[override]
        return await self._details(_PROFILE_DETAILS, {"id": profile_id}) if storable(profile_id) else None

    async def get_by_user(self, user_id: int) -> ProfileDetails | None:
        return await self._details(_PROFILE_DETAILS_OF_USER, {"user_id": user_id}) if storable(user_id) else None

    async def save(self, details: ProfileDetails) -> None:  # type: ignore[override]
        await super().save(details.profile)
        await self._users.save(details.user)


_PATIENT_COLUMNS = (t.patients.c.id, t.patients.c.user_id, t.patients.c.phone, t.patients.c.profile,
                    t.patients.c.version)  # as EntityTable reads a row: id, the attributes, version
_PATIENT_OF_USER = PreparedQuery(select(*_PATIENT_COLUMNS).where(t.patients.c.user_id == bindparam("user_id"))
                                 .with_for_update())  # as EntityTable.get
# The record to change with its user's username, which the change answers with: one statement, so the
# row's lock is not held across a read of it after the save. Only the patient's row is locked.
_PATIENT_NAMED = PreparedQuery(
    select(*_PATIENT_COLUMNS, t.users.c.username).join(t.users, t.users.c.id == t.patients.c.user_id)
    .where(t.patients.c.id == bindparam("id")).with_for_update(of=t.patients))
_PHONE_TAKEN = PreparedQuery(select(t.patients.c.id).where(t.patients.c.phone == bindparam("phone")))
_PHONE_TAKEN_BY_OTHER = PreparedQuery(select(t.patients.c.id).where(t.patients.c.phone == bindparam("phone"),
                                                                   t.patients.c.id != bindparam("exclude_id")))
_PATIENT_EXISTS = PreparedQuery(select(t.patients.c.id).where(t.patients.c.id == bindparam("patient_id")))


class SqlAlchemyPatientRepository(EntityTable[Patient]):
    """One row each, one prepared statement per write (entity_table.py). Another request may take the
    phone, or make this user's record, after the use case checked: the unique keys stop it
    (uq_patients_phone, uq_patients_user_id), raised as the use case's own refusals
    (database_errors.py). Deleting the row deletes the patient's appointments and reviews with it
    (ON DELETE CASCADE)."""

    def __init__(self, uow: TransactionOwner, reads: ReadRunner) -> None:
        super().__init__(uow, reads, Patient, t.patients)
        self._usernames: dict[int, tuple[int, str]] = {}  # by patient id: the user id and username loaded

    async def get(self, entity_id: int) -> Patient | None:
        if not storable(entity_id):
            return None
        rows = await self._uow.write(_PATIENT_NAMED, {"id": entity_id})
        if not rows:
            return None
        patient = self.entity_of(rows[0][:-1])
        self._usernames[entity_id] = (patient.user_id, rows[0][-1])
        return patient

    def username_loaded(self, patient: Patient) -> str | None:
        loaded = self._usernames.get(patient.id) if patient.id is not None else None
        return loaded[1] if loaded is not None and loaded[0] == patient.user_id else None

    async def get_by_user(self, user_id: int) -> Patient | None:
        """The user's record to change, read in the unit's transaction (as ``get``)."""
        if not storable(user_id):
            return None
        rows = await self._uow.write(_PATIENT_OF_USER, {"user_id": user_id})
        return self.entity_of(rows[0]) if rows else None

    async def exists(self, patient_id: int) -> bool:
        return storable(patient_id) and await self._reads.first(_PATIENT_EXISTS, {"patient_id": patient_id}) is not None

    async def phone_taken(self, phone: str, *, exclude_id: int | None = None) -> bool:
        """In the unit's transaction: a phone it gave or freed counts."""
        if exclude_id is None or not storable(exclude_id):
            return bool(await self._uow.write(_PHONE_TAKEN, {"phone": phone}))
        return bool(await self._uow.write(_PHONE_TAKEN_BY_OTHER, {"phone": phone, "exclude_id": exclude_id}))


class SqlAlchemyRevokedTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def revoke(self, *, jti: str, user_id: int, expires_at: datetime, revoked_at: datetime) -> bool:
        values = {"jti": jti, "user_id": user_id, "expires_at": expires_at, "revoked_at": revoked_at}
        # One statement decides: the row comes back only to the caller that inserted it. A concurrent
        # caller's INSERT waits on the key until the first one's transaction ends, then inserts
        # nothing if it committed (PostgreSQL); SQLite runs the two one after the other.
        statement = insert_ignoring_duplicates(self._session, t.revoked_tokens, values)
        return (await self._session.execute(statement.returning(t.revoked_tokens.c.jti))).first() is not None

    async def is_revoked(self, jti: str) -> bool:
        query = select(exists().where(t.revoked_tokens.c.jti == jti))
        return bool(await self._session.scalar(query))
