"""The people and records the race tests fight over, made beside a running server.

The scene is built through the application layer of a container of its own on the server's
database (fast password hashing: nobody logs in with these passwords), and its bearer tokens are
issued with the server's secret, so every request of a race goes to the server and nothing else.
Names carry a per-run prefix: on PostgreSQL the database is shared by the modules of a run.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

from dependency_injector import providers

from hospital.adapters.memory.passwords import FastInsecurePasswordHasher
from hospital.application.accounts import CreateSuperuserCommand, RegisterCommand
from hospital.application.actor import Actor
from hospital.application.appointments import Booking
from hospital.application.available_times import AvailableTimeChanges
from hospital.application.contacts import ContactChanges
from hospital.application.doctors import DoctorChanges
from hospital.application.medical_services import MedicalServiceChanges
from hospital.application.ports.security import TokenType
from hospital.application.reviews import ReviewDraft
from hospital.application.taxonomy import TaxonChanges
from hospital.bootstrap import Container, build_container, shutdown
from hospital.settings import Settings
from tests.support.actors import PASSWORD, actor_of
from tests.support.images import png_upload

_numbers = itertools.count(1)
RUN = uuid.uuid4().hex[:6]


def unique(prefix: str) -> str:
    return f"{prefix}{RUN}x{next(_numbers)}"


@dataclass(frozen=True)
class Person:
    actor: Actor
    username: str
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}

    @property
    def user_id(self) -> int:
        assert self.actor.user_id is not None
        return self.actor.user_id


@dataclass
class Scene:
    container: Container
    admin: Person | None = None
    designations: list[int] = field(default_factory=list)
    specialisations: list[int] = field(default_factory=list)
    times: list[int] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: Settings) -> Scene:
        container = build_container(settings)
        container.password_hasher.override(providers.Singleton(FastInsecurePasswordHasher))
        scene = cls(container)
        admin_user = await container.create_superuser()(CreateSuperuserCommand(
            username=unique("admin"), email="admin@example.com", password=PASSWORD))
        scene.admin = await scene.person_of(admin_user.id)
        for _ in range(3):
            scene.designations.append(await scene.designation())
            scene.specialisations.append(await scene.specialisation())
            scene.times.append(await scene.available_time())
        return scene

    async def close(self) -> None:
        await shutdown(self.container)

    @property
    def boss(self) -> Actor:
        assert self.admin is not None
        return self.admin.actor

    async def person_of(self, user_id: int | None) -> Person:
        actor = await actor_of(self.container, user_id)
        tokens = self.container.tokens()
        async with self.container.unit_of_work() as uow:
            user = await uow.users.get(actor.user_id)  # type: ignore[arg-type]
        assert user is not None and user.id is not None
        access = tokens.issue(user_id=user.id, token_type=TokenType.ACCESS, version=user.token_version)
        refresh = tokens.issue(user_id=user.id, token_type=TokenType.REFRESH, version=user.token_version)
        return Person(actor=actor, username=user.username, access=access.token, refresh=refresh.token)

    async def fresh_tokens(self, person: Person) -> Person:
        """Another refresh (and access) token of the same user."""
        return await self.person_of(person.user_id)

    async def patient(self) -> Person:
        username = unique("pat")
        registration = await self.container.register_user()(RegisterCommand(
            username=username, email=f"{username}@example.com", password=PASSWORD, confirm_password=PASSWORD,
        ))
        return await self.person_of(registration.user.id)

    async def doctor(self) -> tuple[Person, int]:
        user = await self.patient()
        doctor = await self.container.create_doctor()(self.boss, DoctorChanges(
            user=user.user_id, designation=(self.designations[0],),
            specialisation=(self.specialisations[0],), available_time=(self.times[0],), fee=100,
        ))
        return await self.person_of(user.user_id), doctor.id

    async def appointment(self, patient: Person, doctor_id: int) -> int:
        row = await self.container.book_appointment()(patient.actor, Booking(
            doctor=doctor_id, time=self.times[0], appointment_type="Online", symptoms="cough",
        ))
        return row.id

    async def review(self, patient: Person, doctor_id: int) -> int:
        view = await self.container.create_review()(patient.actor, ReviewDraft(doctor=doctor_id, body="Good",
                                                                                rating=5))
        return view.id

    async def designation(self) -> int:
        taxon = await self.container.create_designation()(self.boss, TaxonChanges(name=unique("Des")))
        assert taxon.id is not None
        return taxon.id

    async def specialisation(self) -> int:
        taxon = await self.container.create_specialisation()(self.boss, TaxonChanges(name=unique("Spec")))
        assert taxon.id is not None
        return taxon.id

    async def available_time(self) -> int:
        time = await self.container.create_available_time()(
            self.boss, AvailableTimeChanges(time=unique("Slot ")))
        assert time.id is not None
        return time.id

    async def service(self) -> int:
        service = await self.container.create_medical_service()(self.boss, MedicalServiceChanges(
            name=unique("Svc"), description="Care", image=png_upload(),
        ))
        assert service.id is not None
        return service.id

    async def contact(self) -> int:
        contact = await self.container.submit_contact()(self.boss, ContactChanges(
            name="Ann", phone="01712345678", massage="Call me",
        ))
        assert contact.id is not None
        return contact.id

    async def profile_id(self, person: Person) -> int:
        return (await self.container.get_my_profile()(person.actor)).id
