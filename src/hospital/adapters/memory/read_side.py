"""The in-memory read side (application/ports/read_side.py): the same read ports as the SQL one,
reading the database's committed rows only (a unit of work's changes are not there until it
commits), so it answers what a concurrent reader of the SQL store sees."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from typing import Any, Generic, TypeVar

from hospital.adapters.memory.accounts import InMemoryUserRepository
from hospital.adapters.memory.appointments import InMemoryAppointmentQueries
from hospital.adapters.memory.database import InMemoryDatabase
from hospital.adapters.memory.doctor_reads import InMemoryDoctorReadQueries
from hospital.adapters.memory.patients import InMemoryPatientQueries
from hospital.adapters.memory.reviews import InMemoryReviewViews
from hospital.adapters.memory.schedules import InMemorySlotSourceQueries
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.accounts import ProfileDetails, ProfileView
from hospital.application.ports.catalogue import AvailableTimeView, ContactView, MedicalServiceView, TaxonView

V = TypeVar("V")


class _TableReads(Generic[V]):
    def __init__(self, db: InMemoryDatabase, table: str, view: Callable[[Any], V]) -> None:
        self._db, self._table, self._view = db, table, view

    async def list(self) -> list[V]:
        rows = self._db.table(self._table)
        return [self._view(rows[key]) for key in sorted(rows)]

    async def get(self, row_id: int) -> V | None:
        row = self._db.table(self._table).get(row_id)
        return None if row is None else self._view(row)


class _AvailableTimeReads(_TableReads[AvailableTimeView]):
    async def list(self, *, time_id: int | None = None) -> list[AvailableTimeView]:  # type: ignore[override]
        if time_id is None:
            return await super().list()
        time = await self.get(time_id)
        return [] if time is None else [time]


def _taxon(row: Any) -> TaxonView:
    return TaxonView(id=row.id, name=row.name, slug=row.slug)


def _time(row: Any) -> AvailableTimeView:
    return AvailableTimeView.of(row)


def _service(row: Any) -> MedicalServiceView:
    return MedicalServiceView(id=row.id, image=row.image, name=row.name, description=row.description)


def _contact(row: Any) -> ContactView:
    return ContactView(id=row.id, name=row.name, phone=row.phone, massage=row.massage)


class _ProfileReads:
    def __init__(self, db: InMemoryDatabase) -> None:
        self._db = db

    def _view(self, profile: Any) -> ProfileView:
        view = ProfileView.of(ProfileDetails(profile=profile, user=self._db.table("users")[profile.user_id]))
        patient = next((p for p in self._db.table("patients").values() if p.user_id == profile.user_id), None)
        return replace(view, patient_id=None if patient is None else patient.id)

    async def page(self, *, page: PageRequest, search: Sequence[str] = (),
                   user_id: int | None = None) -> Page[ProfileView]:
        terms = [term.lower() for term in search]
        profiles, users = self._db.table("profiles"), self._db.table("users")
        matches = []
        for key in sorted(profiles):
            profile = profiles[key]
            if user_id is not None and profile.user_id != user_id:
                continue
            user = users[profile.user_id]
            fields = [value.lower() for value in (user.username, user.email, user.first_name, user.last_name)]
            if all(any(term in value for value in fields) for term in terms):
                matches.append(profile)
        chosen = matches[page.offset:page.offset + page.limit]
        return Page([self._view(profile) for profile in chosen], len(matches), page)

    async def get(self, profile_id: int) -> ProfileView | None:
        profile = self._db.table("profiles").get(profile_id)
        return None if profile is None else self._view(profile)

    async def get_by_user(self, user_id: int) -> ProfileView | None:
        profile = next((p for p in self._db.table("profiles").values() if p.user_id == user_id), None)
        return None if profile is None else self._view(profile)


class InMemoryReadSide:
    """The committed tables are read as they are: a commit replaces rows whole (database.py), so a
    read model made from them never sees half a commit."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self._db: Any = db  # the read ports take a transaction's view; the database's is the committed one

    @cached_property
    def actors(self) -> InMemoryUserRepository:
        return InMemoryUserRepository(self._db)  # only its actor_for: the read it shares with the write side

    @cached_property
    def doctors(self) -> InMemoryDoctorReadQueries:
        return InMemoryDoctorReadQueries(self._db)

    @cached_property
    def reviews(self) -> InMemoryReviewViews:
        return InMemoryReviewViews(self._db)

    @cached_property
    def patients(self) -> InMemoryPatientQueries:
        return InMemoryPatientQueries(self._db)

    @cached_property
    def appointments(self) -> InMemoryAppointmentQueries:
        return InMemoryAppointmentQueries(self._db)

    @cached_property
    def profiles(self) -> _ProfileReads:
        return _ProfileReads(self._db)

    @cached_property
    def designations(self) -> _TableReads[TaxonView]:
        return _TableReads(self._db, "designations", _taxon)

    @cached_property
    def specialisations(self) -> _TableReads[TaxonView]:
        return _TableReads(self._db, "specialisations", _taxon)

    @cached_property
    def available_times(self) -> _AvailableTimeReads:
        return _AvailableTimeReads(self._db, "available_times", _time)

    @cached_property
    def medical_services(self) -> _TableReads[MedicalServiceView]:
        return _TableReads(self._db, "medical_services", _service)

    @cached_property
    def contacts(self) -> _TableReads[ContactView]:
        return _TableReads(self._db, "contacts", _contact)

    @cached_property
    def schedules(self) -> InMemorySlotSourceQueries:
        return InMemorySlotSourceQueries(self._db)
