"""Callers for the catalogue's HTTP tests: anonymous, a patient, a doctor and an admin, with tokens."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from litestar.testing import AsyncTestClient

from hospital.application.actor import Actor
from hospital.bootstrap import Container
from tests.support.actors import admin, unique_username
from tests.support.catalogue import Catalogue, doctor_changes, seed_catalogue
from tests.support.http import bearer, login_over_http, register_over_http


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str] = field(default_factory=dict)
    user_id: int | None = None
    doctor_id: int | None = None


ANONYMOUS_CALLER = Caller("anonymous")


@pytest.fixture
async def boss(sql_container: Container) -> Actor:
    return await admin(sql_container, unique_username("boss"))


@pytest.fixture
async def admin_caller(client: AsyncTestClient, sql_container: Container, boss: Actor) -> Caller:
    async with sql_container.unit_of_work() as uow:
        user = await uow.users.get(boss.user_id)  # type: ignore[arg-type]
    assert user is not None
    tokens = await login_over_http(client, user.username)
    return Caller("admin", bearer(tokens["access"]), boss.user_id)


@pytest.fixture
async def patient_caller(client: AsyncTestClient) -> Caller:
    registered = await register_over_http(client, first_name="Pat", last_name="Ient")
    return Caller("patient", bearer(registered["tokens"]["access"]), registered["user"]["id"])


@pytest.fixture
async def catalogue(sql_container: Container, boss: Actor) -> Catalogue:
    return await seed_catalogue(sql_container, boss)


@pytest.fixture
async def doctor_caller(client: AsyncTestClient, sql_container: Container, boss: Actor,
                        catalogue: Catalogue) -> Caller:
    registered = await register_over_http(client, first_name="Gregory", last_name="House")
    user_id = registered["user"]["id"]
    doctor = await sql_container.create_doctor()(boss, doctor_changes(catalogue, user_id=user_id))
    return Caller("doctor", bearer(registered["tokens"]["access"]), user_id, doctor.id)


@pytest.fixture
def non_admin_callers(patient_caller: Caller, doctor_caller: Caller) -> list[Caller]:
    return [patient_caller, doctor_caller]
