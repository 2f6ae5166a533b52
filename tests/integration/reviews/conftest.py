"""Review HTTP tests: a client on the test's own event loop, and a clinic with people in it.

Litestar's AsyncTestClient runs the app on another event loop in another thread. Review tests
must also add doctors straight through the container (their endpoints are not part of reviews),
and asyncpg connections pooled on one loop cannot be used from another; the requests of that
client also run one at a time, which a race test cannot use. httpx's ASGITransport runs the app
on the test's loop instead, so the container, the app and concurrent requests share one loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from hospital.application.actor import Actor
from hospital.bootstrap import Container
from hospital.entrypoints.http.app import create_app
from tests.support.actors import admin, register
from tests.support.http import bearer, login_over_http
from tests.support.reviews_clinic import DoctorInClinic, add_doctor


@pytest.fixture
async def api(sql_container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(sql_container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield client


@dataclass(frozen=True, slots=True)
class Person:
    actor: Actor
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Clinic:
    """Dr Ada Lovelace and Dr Grace Hopper; two patients; an admin; each able to call the API."""

    ada: DoctorInClinic
    ada_headers: dict[str, str]
    grace: DoctorInClinic
    author: Person
    other: Person
    admin: Person


async def _person(container: Container, api: httpx.AsyncClient, actor: Actor, username: str) -> Person:
    tokens = await login_over_http(api, username)  # type: ignore[arg-type]
    return Person(actor=actor, headers=bearer(tokens["access"]))


@pytest.fixture
async def clinic(sql_container: Container, api: httpx.AsyncClient) -> Clinic:
    ada = await add_doctor(sql_container, "ada", first_name="Ada", last_name="Lovelace")
    grace = await add_doctor(sql_container, "grace", first_name="Grace", last_name="Hopper")
    author = await register(sql_container, "alan", first_name="Alan", last_name="Turing")
    other = await register(sql_container, "edsger")
    boss = await admin(sql_container, "boss")
    ada_person = await _person(sql_container, api, ada.actor, "ada")
    return Clinic(
        ada=ada, ada_headers=ada_person.headers, grace=grace,
        author=await _person(sql_container, api, author, "alan"),
        other=await _person(sql_container, api, other, "edsger"),
        admin=await _person(sql_container, api, boss, "boss"),
    )
