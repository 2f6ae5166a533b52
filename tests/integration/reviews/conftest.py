"""Review HTTP tests: a client on the test's own event loop, and a clinic whose people can call the API.

Litestar's AsyncTestClient runs the app on another event loop in another thread. Review tests
must also add doctors straight through the container (their endpoints are not part of reviews),
and asyncpg connections pooled on one loop cannot be used from another; that client's requests
also run one at a time, which a race test cannot use. httpx's ASGITransport runs the app on the
test's own loop, so the container, the app and concurrent requests share one loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from hospital.application.actor import Actor
from hospital.bootstrap import Container
from hospital.entrypoints.http.app import serve_container
from tests.support.http import bearer, login_over_http
from tests.support.reviews_clinic import DoctorInClinic, open_clinic


@pytest.fixture
async def api(shared_app: Litestar, sql_container: Container) -> AsyncIterator[httpx.AsyncClient]:
    serve_container(shared_app, sql_container)
    transport = httpx.ASGITransport(app=shared_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield client


@dataclass(frozen=True, slots=True)
class Caller:
    actor: Actor
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Clinic:
    """The cast of tests.support.reviews_clinic, logged in; ``ada_doctor`` is Ada as a caller."""

    ada: DoctorInClinic
    grace: DoctorInClinic
    ada_doctor: Caller
    author: Caller
    other: Caller
    admin: Caller
    anonymous: Caller


async def _logged_in(api: httpx.AsyncClient, actor: Actor, username: str) -> Caller:
    tokens = await login_over_http(api, username)  # type: ignore[arg-type]
    return Caller(actor=actor, headers=bearer(tokens["access"]))


@pytest.fixture
async def clinic(sql_container: Container, api: httpx.AsyncClient) -> Clinic:
    cast = await open_clinic(sql_container)
    return Clinic(
        ada=cast.ada, grace=cast.grace,
        ada_doctor=await _logged_in(api, cast.ada.actor, "ada"),
        author=await _logged_in(api, cast.author, "alan"),
        other=await _logged_in(api, cast.other, "edsger"),
        admin=await _logged_in(api, cast.admin, "boss"),
        anonymous=Caller(actor=Actor(), headers={}),
    )
