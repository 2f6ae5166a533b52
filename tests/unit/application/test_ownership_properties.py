"""Random sequences of actions by random actors never let a non-owner read or change what DESIGN.md §3
reserves for the owner (OWASP API1:2023 and API5:2023, ASVS V4.2.1), checked on the use cases themselves.

Each step is a use case called by one of the permission cast on someone's patient record,
profile or appointment. A step that succeeds must be one §3 allows; a step that is refused must
raise a domain error (a 4xx over HTTP) and leave the data as it was.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from hospital.application.appointments import AppointmentChanges, Booking
from hospital.application.patients import PatientChanges
from hospital.application.profiles import ProfileChanges
from hospital.bootstrap import in_memory_container
from hospital.domain.errors import DomainError
from tests.conftest import make_settings, properties
from tests.support.clinic import cast

PEOPLE = ["owner", "other_patient", "doctor", "other_doctor", "admin"]
DOCTORS = ["doctor", "other_doctor"]
KINDS = ["read_patient", "update_patient", "read_profile", "update_profile", "book", "read_appointment",
         "change_appointment", "start_appointment", "delete_appointment"]

step = st.tuples(st.sampled_from(KINDS), st.sampled_from(PEOPLE), st.sampled_from(PEOPLE),
                 st.integers(min_value=0, max_value=5), st.text(alphabet="abcxyz ", min_size=1, max_size=8))


@dataclass
class Booked:
    id: int
    patient: str
    doctor: str
    deleted: bool = False
    started: bool = False


@dataclass
class World:
    container: object
    people: object
    profiles: dict[str, int] = field(default_factory=dict)
    appointments: list[Booked] = field(default_factory=list)

    def actor(self, name: str):
        return self.people.by_name(name)

    def treats(self, doctor: str, patient: str) -> bool:
        return any(a.doctor == doctor and a.patient == patient and not a.deleted for a in self.appointments)


async def _snapshot(world: World) -> tuple:
    admin = world.actor("admin")
    c = world.container
    patients = [await c.get_patient()(admin, world.actor(name).patient_id) for name in PEOPLE]
    profiles = [await c.get_profile()(admin, world.profiles[name]) for name in PEOPLE]
    appointments = []
    for booked in world.appointments:
        if not booked.deleted:
            appointments.append(await c.get_appointment()(admin, booked.id))
    return repr(patients), repr([(p.bio, p.address) for p in profiles]), repr(appointments)


async def _attempt(world: World, kind: str, who: str, whom: str, index: int, text: str) -> tuple[bool, bool]:
    """(allowed by §3, succeeded) for one step."""
    c, actor = world.container, world.actor(who)
    target = world.actor(whom)
    is_admin = who == "admin"
    live = [a for a in world.appointments if not a.deleted]
    booked = live[index % len(live)] if live else None

    async def run(call) -> bool:
        try:
            await call
        except DomainError:
            return False
        return True

    if kind == "read_patient":
        allowed = who == whom or is_admin or world.treats(who, whom)
        return allowed, await run(c.get_patient()(actor, target.patient_id))
    if kind == "update_patient":
        return who == whom or is_admin, await run(c.update_patient()(actor, target.patient_id,
                                                                      PatientChanges(phone="0170" + str(index))))
    if kind == "read_profile":
        return who == whom or is_admin, await run(c.get_profile()(actor, world.profiles[whom]))
    if kind == "update_profile":
        return who == whom or is_admin, await run(c.update_profile()(actor, world.profiles[whom],
                                                                      ProfileChanges(bio=text)))
    if kind == "book":
        doctor = DOCTORS[index % 2]
        if who == doctor:
            return False, False  # no one books themself; not an ownership question
        times = world.people.doctor_times if doctor == "doctor" else world.people.other_doctor_times
        try:
            row = await c.book_appointment()(actor, Booking(doctor=world.actor(doctor).doctor_id,
                                                            time=times[0], appointment_type="Online"))
        except DomainError:
            return True, False
        world.appointments.append(Booked(row.id, patient=who, doctor=doctor))
        return True, True
    if booked is None:
        return False, False
    mine = who == booked.patient
    cares = who == booked.doctor
    if kind == "read_appointment":
        return mine or cares or is_admin, await run(c.get_appointment()(actor, booked.id))
    if kind == "change_appointment":
        return mine or cares or is_admin, await run(c.change_appointment()(actor, booked.id,
                                                                            AppointmentChanges(symptoms=text)))
    if kind == "start_appointment":
        # Sending the status it already has is no change, which anyone who may read it may send (§3).
        allowed = cares or is_admin or (booked.started and mine)
        succeeded = await run(c.change_appointment()(actor, booked.id, AppointmentChanges(appointment_status="Runing")))
        booked.started = booked.started or succeeded
        return allowed, succeeded
    succeeded = await run(c.delete_appointment()(actor, booked.id))
    if succeeded:
        booked.deleted = True
    return mine or is_admin, succeeded


async def _scenario(tmp_path, steps) -> None:
    container = in_memory_container(make_settings(tmp_path))
    world = World(container, await cast(container))
    for name in PEOPLE:
        world.profiles[name] = (await container.get_my_profile()(world.actor(name))).id
    for kind, who, whom, index, text in steps:
        before = await _snapshot(world)
        allowed, succeeded = await _attempt(world, kind, who, whom, index, text)
        assert not (succeeded and not allowed), f"{who} could {kind} {whom}/{index}: {steps}"
        if not succeeded and kind != "book":
            assert await _snapshot(world) == before, f"a refused {kind} by {who} changed data: {steps}"


@properties(max_examples=150)
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_no_sequence_of_actions_lets_a_non_owner_in(tmp_path_factory, steps) -> None:
    asyncio.run(_scenario(tmp_path_factory.mktemp("world"), steps))
