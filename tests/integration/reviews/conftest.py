"""Review HTTP tests: a client on the test's own event loop, and a clinic whose people can call the API.

Litestar's AsyncTestClient runs the app on another event loop in another thread. Review tests
must also add doctors straight through the container (their endpoints are not part of reviews),
and asyncpg connections pooled on one loop cannot be used from another; that client's requests
also run one at a time, which a race test cannot use. httpx's ASGITransport runs the app on the
test's own loop, so the container, the app and concurrent requests share one loop.

On SQLite the clinic (five registrations, two doctors, four logins over HTTP: most of a review
test's cost, ~300 tests) is made once per test process in a file that each test using ``clinic``
starts from, as every test starts from a copy of the migrated template. On PostgreSQL each test
makes it, on the emptied database.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from hospital.application.actor import Actor
from hospital.bootstrap import Container, shutdown
from hospital.entrypoints.http.app import serve_container
from tests.conftest import make_settings
from tests.integration.conftest import POSTGRES_URL
from tests.support.backends import production_container
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


async def _open_clinic_logged_in(container: Container, api: httpx.AsyncClient) -> Clinic:
    cast = await open_clinic(container)
    return Clinic(
        ada=cast.ada, grace=cast.grace,
        ada_doctor=await _logged_in(api, cast.ada.actor, "ada"),
        author=await _logged_in(api, cast.author, "alan"),
        other=await _logged_in(api, cast.other, "edsger"),
        admin=await _logged_in(api, cast.admin, "boss"),
        anonymous=Caller(actor=Actor(), headers={}),
    )


class ClinicTemplate:
    """A SQLite file holding the clinic, made as the ``clinic`` fixture makes it on PostgreSQL
    (the same use cases, the same HTTP logins through the shared app), and the clinic's callers.

    Its access tokens were issued when it was made: it is made again once half their lifetime
    has passed, so no test holds a token that could expire under it.
    """

    def __init__(self, folder: Path, migrated: Path, shared_app: Litestar, media_root: Path) -> None:
        self.path = folder / "clinic.sqlite3"
        self._folder = folder
        self._migrated = migrated
        self._app = shared_app
        self._media_root = media_root
        self._made_at = -float("inf")
        self.clinic: Clinic | None = None

    async def fresh(self) -> Path:
        settings = make_settings(self._folder, database_url=f"sqlite+aiosqlite:///{self.path}",
                                 media_root=self._media_root)
        if time.monotonic() - self._made_at < settings.access_token_lifetime / 2:
            return self.path
        self.path.unlink(missing_ok=True)
        shutil.copyfile(self._migrated, self.path)
        container = production_container(settings)
        try:
            serve_container(self._app, container)
            transport = httpx.ASGITransport(app=self._app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as api:
                self._made_at = time.monotonic()
                self.clinic = await _open_clinic_logged_in(container, api)
        finally:
            await shutdown(container)  # writes the logins' audit events, closes every connection
        _assert_whole(self.path)
        return self.path


def _assert_whole(path: Path) -> None:
    # Closing the last connection folds the write-ahead log into the file: the file is the whole database.
    assert not os.path.exists(f"{path}-wal")


@pytest.fixture(scope="session")
def clinic_template(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path,
                    shared_app: Litestar, media_root: Path) -> ClinicTemplate:
    return ClinicTemplate(tmp_path_factory.mktemp("clinic"), migrated_sqlite_template, shared_app, media_root)


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, database_url: str) -> str:
    """The integration ``database_url``; on SQLite, for a test using ``clinic``, a copy of the clinic's file."""
    if POSTGRES_URL or "clinic" not in request.fixturenames:
        return database_url
    template: ClinicTemplate = request.getfixturevalue("clinic_template")
    shutil.copyfile(await template.fresh(), database_url.removeprefix("sqlite+aiosqlite:///"))
    return database_url


@pytest.fixture
async def clinic(request: pytest.FixtureRequest, sql_container: Container, api: httpx.AsyncClient) -> Clinic:
    if POSTGRES_URL:
        return await _open_clinic_logged_in(sql_container, api)
    template: ClinicTemplate = request.getfixturevalue("clinic_template")
    assert template.clinic is not None  # made by database_url, before this test's database was opened
    return template.clinic
