"""Making catalogue entries for tests through the use cases: labels, times, doctors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hospital.application.actor import Actor
from hospital.application.available_times import AvailableTimeChanges
from hospital.application.doctors import DoctorChanges
from hospital.application.ports.catalogue import DoctorReadModel
from hospital.application.taxonomy import TaxonChanges
from hospital.bootstrap import Container
from hospital.domain.doctors import Doctor
from hospital.domain.users import User
from tests.support.actors import actor_of, register, unique_username


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Ids of two designations, two specialisations and two available times."""

    designations: tuple[int, int]
    specialisations: tuple[int, int]
    times: tuple[int, int]


async def seed_catalogue(container: Container, admin: Actor) -> Catalogue:
    designations = [
        await container.create_designation()(admin, TaxonChanges(name=name))
        for name in ("Senior Consultant", "Resident")
    ]
    specialisations = [
        await container.create_specialisation()(admin, TaxonChanges(name=name))
        for name in ("Cardiology", "Neurology")
    ]
    times = [
        await container.create_available_time()(admin, AvailableTimeChanges(time=label))
        for label in ("Mon 9-10", "Tue 14-15")
    ]
    return Catalogue(
        designations=(designations[0].id, designations[1].id),
        specialisations=(specialisations[0].id, specialisations[1].id),
        times=(times[0].id, times[1].id),
    )


def doctor_changes(catalogue: Catalogue, **overrides) -> DoctorChanges:
    """Valid changes for a new doctor: the first of each kind, a fee of 500."""
    fields = dict(
        designation=(catalogue.designations[0],), specialisation=(catalogue.specialisations[0],),
        available_time=(catalogue.times[0],), fee=500, meet_link="https://meet.example.com/dr",
    )
    fields.update(overrides)
    return DoctorChanges(**fields)


async def make_doctor(container: Container, admin: Actor, catalogue: Catalogue,
                      **overrides) -> tuple[Actor, DoctorReadModel]:
    """A newly registered user made a doctor by ``admin``; returns their (fresh) actor and the doctor."""
    user = await register(container, first_name=overrides.pop("first_name", "Gregory"),
                          last_name=overrides.pop("last_name", "House"))
    doctor = await container.create_doctor()(
        admin, doctor_changes(catalogue, user=user.user_id, **overrides),
    )
    return await actor_of(container, user.user_id), doctor


async def seed_doctors(container: Container, catalogue: Catalogue, count: int) -> list[int]:
    """``count`` doctors (each with a new user) in one transaction, straight through the repositories.

    Fast enough for a hundred; each doctor has both designations, one specialisation and both times.
    """
    ids = []
    async with container.unit_of_work() as uow:
        for number in range(count):
            user = User.register(
                username=unique_username("doc"), email="doctor@example.com", first_name="Doctor", last_name=str(number),
                password_hash="not-a-real-hash", joined_at=datetime.now(UTC),
            )
            await uow.users.add(user)
            assert user.id is not None
            doctor = Doctor.create(
                user_id=user.id, designation_ids=catalogue.designations,
                specialisation_ids=catalogue.specialisations[:1], available_time_ids=catalogue.times,
                fee=100 + number,
            )
            await uow.doctors.add(doctor)
            ids.append(doctor.id)
        await uow.commit()
    return ids  # type: ignore[return-value]
