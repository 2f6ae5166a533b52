"""A clinic to review, for review tests: doctors made straight through the repositories, and reviews.

Test support only. The catalogue's own use cases are built elsewhere; reviews need no more of a
doctor than that it exists and has a user with a name. On SQLAlchemy the doctor's link tables
have foreign keys to designations, specialisations and available times, so those rows are
inserted through the unit of work's session first; the in-memory doctors check no ids.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import insert

from hospital.adapters.sqlalchemy.tables.catalogue import available_times, designations, specialisations
from hospital.application.actor import Actor
from hospital.application.reviews import ReviewDraft
from hospital.bootstrap import Container
from hospital.domain.doctors import Doctor
from tests.support.actors import actor_of, admin, register, unique_username

STARS = {n: "\u2b50" * n for n in range(1, 6)}
_slugs = itertools.count(1)


@dataclass(frozen=True, slots=True)
class DoctorInClinic:
    actor: Actor  # the doctor's user, who is also a patient like every registered user
    doctor_id: int


async def _catalogue_ids(uow) -> tuple[int, int, int]:
    session = getattr(uow, "session", None)
    if session is None:
        return 1, 1, 1
    n = next(_slugs)
    designation = await session.scalar(
        insert(designations).values(name="Consultant", slug=f"consultant-{n}").returning(designations.c.id))
    specialisation = await session.scalar(
        insert(specialisations).values(name="Cardiology", slug=f"cardiology-{n}").returning(specialisations.c.id))
    time = await session.scalar(insert(available_times).values(time="09:00-10:00").returning(available_times.c.id))
    return designation, specialisation, time


async def add_doctor(container: Container, username: str | None = None, **names: str) -> DoctorInClinic:
    """A registered user with a doctor record; ``names`` are first_name / last_name."""
    user = await register(container, username or unique_username("doctor"), **names)
    async with container.unit_of_work() as uow:
        designation, specialisation, time = await _catalogue_ids(uow)
        doctor = Doctor.create(user_id=user.user_id, designation_ids=[designation], specialisation_ids=[specialisation],
                               available_time_ids=[time], fee=500)
        await uow.doctors.add(doctor)
        await uow.commit()
    assert doctor.id is not None
    return DoctorInClinic(actor=await actor_of(container, user.user_id), doctor_id=doctor.id)


async def write_review(container: Container, author: Actor, doctor_id: int, rating: int | str = 4,
                       body: str = "Kind and careful.") -> int:
    """A review through the use case; returns its id."""
    view = await container.create_review()(author, ReviewDraft(doctor=doctor_id, body=body, rating=rating))
    return view.id


@dataclass(frozen=True, slots=True)
class ReviewCast:
    """Dr Ada Lovelace and Dr Grace Hopper; Alan Turing, who writes reviews; Edsger, another
    patient with no names; an admin. Usernames: ada, grace, alan, edsger, boss."""

    ada: DoctorInClinic
    grace: DoctorInClinic
    author: Actor
    other: Actor
    admin: Actor


async def open_clinic(container: Container) -> ReviewCast:
    return ReviewCast(
        ada=await add_doctor(container, "ada", first_name="Ada", last_name="Lovelace"),
        grace=await add_doctor(container, "grace", first_name="Grace", last_name="Hopper"),
        author=await register(container, "alan", first_name="Alan", last_name="Turing"),
        other=await register(container, "edsger"),
        admin=await admin(container, "boss"),
    )
