"""Callers for the catalogue's HTTP tests (a patient, a doctor and an admin, with tokens) and their data.

The test client runs the app in its own thread and event loop, and an asyncpg connection belongs to
the loop that opened it; so data the tests make directly goes through ``direct``, a second container
with its own engine on the same database, never through the app's pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from hospital.adapters.memory.passwords import FastInsecurePasswordHasher
from hospital.application.actor import Actor
from hospital.bootstrap import Container, build_container, shutdown
from hospital.settings import Settings
from tests.support.actors import admin, unique_username
from tests.support.catalogue import Catalogue, doctor_changes, seed_catalogue
from tests.support.http import bearer, login_over_http, register_over_http


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str] = field(default_factory=dict)
    user_id: int | None = None
    doctor_id: int | None = None


@pytest.fixture
async def direct(sql_settings: Settings) -> AsyncIterator[Container]:
    container = build_container(sql_settings)
    container.password_hasher.override(providers.Singleton(FastInsecurePasswordHasher))
    yield container
    await shutdown(container)


@pytest.fixture
async def boss(direct: Container) -> Actor:
    return await admin(direct, unique_username("boss"))


@pytest.fixture
async def admin_caller(client: AsyncTestClient, direct: Container, boss: Actor) -> Caller:
    async with direct.unit_of_work() as uow:
        user = await uow.users.get(boss.user_id)  # type: ignore[arg-type]
    assert user is not None
    tokens = await login_over_http(client, user.username)
    return Caller("admin", bearer(tokens["access"]), boss.user_id)


@pytest.fixture
async def patient_caller(client: AsyncTestClient) -> Caller:
    registered = await register_over_http(client, first_name="Pat", last_name="Ient")
    return Caller("patient", bearer(registered["tokens"]["access"]), registered["user"]["id"])


@pytest.fixture
async def catalogue(direct: Container, boss: Actor) -> Catalogue:
    return await seed_catalogue(direct, boss)


@pytest.fixture
async def doctor_caller(client: AsyncTestClient, direct: Container, boss: Actor, catalogue: Catalogue) -> Caller:
    registered = await register_over_http(client, first_name="Gregory", last_name="House")
    user_id = registered["user"]["id"]
    doctor = await direct.create_doctor()(boss, doctor_changes(catalogue, user=user_id))
    return Caller("doctor", bearer(registered["tokens"]["access"]), user_id, doctor.id)


@pytest.fixture
def non_admin_callers(patient_caller: Caller, doctor_caller: Caller) -> list[Caller]:
    return [patient_caller, doctor_caller]
