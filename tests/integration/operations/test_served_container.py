"""One built app serves the container it was last given (``serve_container``), as the tests' shared app does."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from hospital.bootstrap import Container, shutdown
from hospital.entrypoints.http.app import serve_container
from hospital.settings import Settings
from tests.support.actors import PASSWORD
from tests.support.backends import production_container
from tests.support.http import register_over_http


async def test_the_app_answers_from_the_container_it_was_given_last(
    client: AsyncTestClient, shared_app: Litestar, sql_container: Container, sql_settings: Settings,
    migrated_sqlite_template: Path, tmp_path: Path,
) -> None:
    user = (await register_over_http(client))["user"]
    login = {"username": user["username"], "password": PASSWORD}
    empty = tmp_path / "empty.sqlite3"
    shutil.copyfile(migrated_sqlite_template, empty)
    other = production_container(replace(sql_settings, database_url=f"sqlite+aiosqlite:///{empty}"))
    try:
        serve_container(shared_app, other)
        assert (await client.post("/api/user/login/", json=login)).status_code == 401
    finally:
        serve_container(shared_app, sql_container)
        await shutdown(other)
    assert (await client.post("/api/user/login/", json=login)).status_code == 200


def test_a_container_with_other_settings_than_the_app_s_is_refused(shared_app: Litestar,
                                                                    sql_settings: Settings) -> None:
    before = shared_app.state.container
    other = production_container(replace(sql_settings, max_body_bytes=sql_settings.max_body_bytes + 1))
    with pytest.raises(ValueError, match="settings match"):
        serve_container(shared_app, other)
    assert shared_app.state.container is before
