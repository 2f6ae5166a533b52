"""Logout, rotation and revocation of refresh tokens over HTTP (RFC 9700 §4.14, OWASP API2:2023).

Revocations live in the database, so they hold for a new app on the same database (a restart, or
another worker or container).
"""

from __future__ import annotations

from dataclasses import replace

from hospital.application.accounts import ChangePasswordCommand
from hospital.settings import Settings
from tests.support.actors import PASSWORD, actor_of, admin
from tests.support.apps import app_client, side_container
from tests.support.http import bearer, login_over_http, register_over_http

REFRESH, LOGOUT = "/api/user/token/refresh/", "/api/user/logout/"
NEW_PASSWORD = "Another-Horse-Staple-42"


async def test_a_logged_out_refresh_token_stays_refused_after_a_restart(sql_settings: Settings) -> None:
    async with app_client(sql_settings) as client:
        tokens = (await register_over_http(client, "restarted"))["tokens"]
        assert (await client.post(LOGOUT, json={"refresh": tokens["refresh"]})).status_code == 200
    async with app_client(sql_settings) as restarted:
        response = await restarted.post(REFRESH, json={"refresh": tokens["refresh"]})
        assert response.status_code == 401
        assert response.json() == {"detail": "Token is blacklisted"}


async def test_with_rotation_reusing_a_revoked_token_revokes_the_whole_family(sql_settings: Settings) -> None:
    async with app_client(replace(sql_settings, rotate_refresh_tokens=True)) as client:
        first = (await register_over_http(client, "family"))["tokens"]["refresh"]
        second = (await client.post(REFRESH, json={"refresh": first})).json()["refresh"]
        third = (await client.post(REFRESH, json={"refresh": second})).json()["refresh"]
        # An attacker (or the victim) replays the stolen first token: refused...
        assert (await client.post(REFRESH, json={"refresh": first})).status_code == 401
        # ...and the newest token of the same family, never used, is refused from now on too.
        assert (await client.post(REFRESH, json={"refresh": third})).status_code == 401
    async with app_client(replace(sql_settings, rotate_refresh_tokens=True)) as restarted:
        assert (await restarted.post(REFRESH, json={"refresh": third})).status_code == 401


async def test_family_revocation_spares_the_users_other_sessions(sql_settings: Settings) -> None:
    async with app_client(replace(sql_settings, rotate_refresh_tokens=True)) as client:
        first = (await register_over_http(client, "twosessions"))["tokens"]["refresh"]
        other_session = (await login_over_http(client, "twosessions"))["refresh"]
        assert (await client.post(REFRESH, json={"refresh": first})).status_code == 200
        assert (await client.post(REFRESH, json={"refresh": first})).status_code == 401
        assert (await client.post(REFRESH, json={"refresh": other_session})).status_code == 200


async def test_changing_the_password_revokes_every_refresh_token(sql_settings: Settings) -> None:
    async with app_client(sql_settings) as client:
        registered = await register_over_http(client, "changer")
        old_refresh = registered["tokens"]["refresh"]
        async with side_container(sql_settings) as container:
            actor = await actor_of(container, registered["user"]["id"])
            await container.change_password()(actor, ChangePasswordCommand(
                current_password=PASSWORD, new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD))
        assert (await client.post(REFRESH, json={"refresh": old_refresh})).status_code == 401
        assert (await client.post("/api/user/login/", json={"username": "changer", "password": PASSWORD})
                ).status_code == 401
        fresh = await login_over_http(client, "changer", NEW_PASSWORD)
        assert (await client.post(REFRESH, json={"refresh": fresh["refresh"]})).status_code == 200


async def test_deactivation_by_an_admin_revokes_every_token(sql_settings: Settings) -> None:
    async with app_client(sql_settings) as client:
        registered = await register_over_http(client, "leaver")
        async with side_container(sql_settings) as container:
            await container.deactivate_user()(await admin(container), registered["user"]["id"])
        tokens = registered["tokens"]
        assert (await client.post(REFRESH, json={"refresh": tokens["refresh"]})).status_code == 401
        assert (await client.get("/api/user/profiles/", headers=bearer(tokens["access"]))).status_code == 401
