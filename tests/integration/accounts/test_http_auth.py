"""/api/user/register, login, token/refresh and logout over HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient

from hospital.adapters.clock import FixedClock, SystemClock
from hospital.settings import Settings
from tests.support.actors import PASSWORD
from tests.support.apps import app_client
from tests.support.http import bearer, login_over_http, register_over_http

REGISTER, LOGIN, REFRESH, LOGOUT = "/api/user/register/", "/api/user/login/", "/api/user/token/refresh/", \
    "/api/user/logout/"
NO_ACCOUNT = {"detail": "No active account found with the given credentials"}
USER_FIELDS = {"id", "username", "email", "first_name", "last_name", "is_staff", "is_active", "date_joined"}


def registration(username: str = "alice", **overrides: str) -> dict[str, str]:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD,
            "confirm_password": PASSWORD, "first_name": "Alice", "last_name": "Liddell"}
    body.update(overrides)
    return body


def assert_401(response, detail: str | None = None) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert set(response.json()) == {"detail"}
    if detail is not None:
        assert response.json()["detail"] == detail


# --- register ---------------------------------------------------------------------------------------

async def test_register_answers_201_with_message_tokens_and_user(client: AsyncTestClient) -> None:
    response = await client.post(REGISTER, json=registration())

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"message", "tokens", "user"}
    assert isinstance(body["message"], str) and body["message"]
    assert set(body["tokens"]) == {"refresh", "access"}
    user = body["user"]
    assert set(user) == USER_FIELDS
    assert (user["username"], user["email"], user["first_name"], user["last_name"]) == (
        "alice", "alice@example.com", "Alice", "Liddell")
    assert user["is_staff"] is False and user["is_active"] is True and isinstance(user["id"], int)
    assert datetime.fromisoformat(user["date_joined"].replace("Z", "+00:00")).tzinfo is not None
    assert "password" not in response.text


async def test_the_registered_user_has_a_profile_and_can_log_in(client: AsyncTestClient) -> None:
    body = (await client.post(REGISTER, json=registration())).json()

    me = await client.get("/api/user/profiles/me/", headers=bearer(body["tokens"]["access"]))
    assert me.status_code == 200 and me.json()["user"]["id"] == body["user"]["id"]
    assert set(await login_over_http(client, "alice")) == {"refresh", "access"}


async def test_first_and_last_name_are_optional(client: AsyncTestClient) -> None:
    body = registration()
    del body["first_name"], body["last_name"]
    response = await client.post(REGISTER, json=body)
    assert response.status_code == 201
    assert (response.json()["user"]["first_name"], response.json()["user"]["last_name"]) == ("", "")


@pytest.mark.parametrize("missing", ["username", "email", "password", "confirm_password"])
async def test_a_missing_field_is_required(client: AsyncTestClient, missing: str) -> None:
    body = registration()
    del body[missing]
    response = await client.post(REGISTER, json=body)
    assert response.status_code == 400
    assert response.json() == {missing: ["This field is required."]}


@pytest.mark.parametrize("email", ["", "   "])
async def test_a_blank_email_is_refused(client: AsyncTestClient, email: str) -> None:
    response = await client.post(REGISTER, json=registration(email=email))
    assert response.status_code == 400
    assert response.json() == {"email": ["This field may not be blank."]}


async def test_an_empty_body_lists_every_required_field(client: AsyncTestClient) -> None:
    response = await client.post(REGISTER, json={})
    assert response.status_code == 400
    assert response.json() == {field: ["This field is required."]
                               for field in ("username", "email", "password", "confirm_password")}


async def test_a_missing_field_does_not_hide_the_other_fields_errors(client: AsyncTestClient) -> None:
    response = await client.post(REGISTER, json={"username": "dave", "email": "bad", "first_name": 7})
    assert response.status_code == 400
    assert response.json() == {
        "email": ["Enter a valid email address."],
        "password": ["This field is required."],
        "confirm_password": ["This field is required."],
        "first_name": ["Not a valid string."],
    }
    form = await client.post(REGISTER, data={"username": "not a name!", "password": PASSWORD})
    assert form.json() == {
        "username": ["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."],
        "email": ["This field is required."],
        "confirm_password": ["This field is required."],
    }


async def test_mismatched_passwords_are_refused(client: AsyncTestClient) -> None:
    response = await client.post(REGISTER, json=registration(confirm_password=PASSWORD + "x"))
    assert response.status_code == 400
    assert response.json() == {"confirm_password": ["Passwords do not match."]}


async def test_a_weak_password_is_refused_with_djangos_messages(client: AsyncTestClient) -> None:
    response = await client.post(REGISTER, json=registration(password="12345678", confirm_password="12345678"))
    assert response.status_code == 400
    assert response.json() == {"password": ["This password is too common.", "This password is entirely numeric."]}


@pytest.mark.parametrize("username", ["alice", "ALICE", "Alice"])
async def test_a_taken_username_is_refused_even_in_another_case(client: AsyncTestClient, username: str) -> None:
    await register_over_http(client, "alice")
    response = await client.post(REGISTER, json=registration(username, email="other@example.com"))
    assert response.status_code == 400
    assert response.json() == {"username": ["A user with that username already exists."]}


async def test_invalid_fields_are_all_reported(client: AsyncTestClient) -> None:
    response = await client.post(REGISTER, json=registration("no spaces allowed", email="not-an-email"))
    assert response.status_code == 400
    assert response.json() == {
        "username": ["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
                     "characters."],
        "email": ["Enter a valid email address."],
    }


@pytest.mark.parametrize(("field", "value", "message"), [
    ("username", "a" * 151, "Ensure this field has no more than 150 characters."),
    ("first_name", "a" * 151, "Ensure this field has no more than 150 characters."),
    ("username", 12, "Not a valid string."),
    ("email", None, "This field may not be null."),
    ("first_name", "A\x00", "Null characters are not allowed."),
    ("email", "a\x00@example.com", "Null characters are not allowed."),
])
async def test_field_types_and_limits(client: AsyncTestClient, field: str, value: object, message: str) -> None:
    response = await client.post(REGISTER, json=registration(**{field: value}))
    assert response.status_code == 400, response.text
    assert response.json() == {field: [message]}


async def test_unknown_fields_such_as_is_staff_are_ignored(client: AsyncTestClient) -> None:
    response = await client.post(REGISTER, json={**registration(), "is_staff": True, "is_active": False, "id": 99})
    assert response.status_code == 201
    assert response.json()["user"]["is_staff"] is False and response.json()["user"]["is_active"] is True


# --- login ------------------------------------------------------------------------------------------

async def test_login_answers_a_token_pair(client: AsyncTestClient) -> None:
    await register_over_http(client, "alice")
    response = await client.post(LOGIN, json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"refresh", "access"}
    me = await client.get("/api/user/profiles/me/", headers=bearer(response.json()["access"]))
    assert me.status_code == 200


async def test_wrong_password_and_unknown_user_answer_the_same_401(client: AsyncTestClient) -> None:
    await register_over_http(client, "alice")

    wrong = await client.post(LOGIN, json={"username": "alice", "password": PASSWORD + "x"})
    unknown = await client.post(LOGIN, json={"username": "nobody", "password": PASSWORD})

    assert_401(wrong)
    assert_401(unknown)
    assert wrong.json() == unknown.json() == NO_ACCOUNT


@pytest.mark.parametrize(("body", "expected"), [
    ({"username": "alice"}, {"password": ["This field is required."]}),
    ({"password": "x"}, {"username": ["This field is required."]}),
    ({"username": "", "password": "x"}, {"username": ["This field may not be blank."]}),
    ({"username": "alice", "password": ""}, {"password": ["This field may not be blank."]}),
])
async def test_missing_or_blank_credentials_are_400(client: AsyncTestClient, body: dict, expected: dict) -> None:
    response = await client.post(LOGIN, json=body)
    assert response.status_code == 400
    assert response.json() == expected


# --- refresh ----------------------------------------------------------------------------------------

async def test_refresh_answers_only_a_new_access_token(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client))["tokens"]
    response = await client.post(REFRESH, json={"refresh": tokens["refresh"]})
    assert response.status_code == 200
    assert set(response.json()) == {"access"}
    assert (await client.get("/api/user/profiles/me/", headers=bearer(response.json()["access"]))).status_code == 200


async def test_an_access_token_is_refused_as_a_refresh_token(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client))["tokens"]
    assert_401(await client.post(REFRESH, json={"refresh": tokens["access"]}), "Token has wrong type")


async def test_a_refresh_token_is_refused_as_an_access_token(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client))["tokens"]
    assert_401(await client.get("/api/user/profiles/me/", headers=bearer(tokens["refresh"])), "Token has wrong type")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
async def test_garbage_refresh_tokens_are_401(client: AsyncTestClient, token: str) -> None:
    response = await client.post(REFRESH, json={"refresh": token})
    assert_401(response, "Token is invalid or expired")


async def test_a_tampered_refresh_token_is_refused(client: AsyncTestClient) -> None:
    refresh = (await register_over_http(client))["tokens"]["refresh"]
    header, payload, signature = refresh.split(".")
    tampered = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    assert_401(await client.post(REFRESH, json={"refresh": tampered}))


async def test_a_missing_refresh_field_is_400(client: AsyncTestClient) -> None:
    response = await client.post(REFRESH, json={})
    assert response.status_code == 400
    assert response.json() == {"refresh": ["This field is required."]}


async def test_expired_tokens_are_refused(sql_settings: Settings) -> None:
    clock = FixedClock(SystemClock().now())
    async with app_client(sql_settings, clock=clock) as client:
        tokens = (await register_over_http(client))["tokens"]
        clock.advance(timedelta(minutes=15))
        assert_401(await client.get("/api/user/profiles/me/", headers=bearer(tokens["access"])))
        assert (await client.post(REFRESH, json={"refresh": tokens["refresh"]})).status_code == 200
        clock.advance(timedelta(days=7))
        assert_401(await client.post(REFRESH, json={"refresh": tokens["refresh"]}))


async def test_an_expired_token_says_it_expired_so_the_client_knows_to_refresh(sql_settings: Settings) -> None:
    clock = FixedClock(SystemClock().now())
    async with app_client(sql_settings, clock=clock) as client:
        tokens = (await register_over_http(client))["tokens"]
        clock.advance(timedelta(minutes=15))

        expired = await client.get("/api/user/profiles/me/", headers=bearer(tokens["access"]))

        assert_401(expired, "The access token expired")
        assert expired.headers["www-authenticate"] == (
            'Bearer error="invalid_token", error_description="The access token expired"')
        clock.advance(timedelta(days=7))
        expired_refresh = await client.post(REFRESH, json={"refresh": tokens["refresh"]})
        assert_401(expired_refresh, "The refresh token expired")


@pytest.mark.parametrize(("token", "description"), [
    ("garbage", "Token is invalid or expired"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmE", "Token is invalid or expired"),
])
async def test_a_forged_or_malformed_token_is_invalid_token_with_its_own_description(
        client: AsyncTestClient, token: str, description: str) -> None:
    response = await client.get("/api/user/profiles/me/", headers=bearer(token))
    assert_401(response, description)
    assert response.headers["www-authenticate"] == (
        f'Bearer error="invalid_token", error_description="{description}"')
    refresh = (await register_over_http(client))["tokens"]["refresh"]
    wrong_type = await client.get("/api/user/profiles/me/", headers=bearer(refresh))
    assert wrong_type.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="Token has wrong type"')


async def test_no_token_at_all_is_the_bare_bearer_challenge(client: AsyncTestClient) -> None:
    response = await client.get("/api/user/profiles/me/")
    assert_401(response, "Authentication credentials were not provided.")
    assert response.headers["www-authenticate"] == 'Bearer realm="api"'


async def test_with_rotation_refresh_answers_a_new_refresh_token_too(sql_settings: Settings) -> None:
    async with app_client(replace(sql_settings, rotate_refresh_tokens=True)) as client:
        old = (await register_over_http(client))["tokens"]["refresh"]
        response = await client.post(REFRESH, json={"refresh": old})
        assert response.status_code == 200
        assert set(response.json()) == {"access", "refresh"} and response.json()["refresh"] != old
        assert (await client.post(REFRESH, json={"refresh": response.json()["refresh"]})).status_code == 200
        # Reusing the rotated-out token is refused (and revokes its family: tests/integration/security).
        assert_401(await client.post(REFRESH, json={"refresh": old}), "Token is blacklisted")


# --- logout -----------------------------------------------------------------------------------------

async def test_logout_answers_a_message_and_the_token_can_no_longer_refresh(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client))["tokens"]

    response = await client.post(LOGOUT, json={"refresh": tokens["refresh"]}, headers=bearer(tokens["access"]))

    assert response.status_code == 200
    assert set(response.json()) == {"message"} and response.json()["message"]
    assert_401(await client.post(REFRESH, json={"refresh": tokens["refresh"]}), "Token is blacklisted")


async def test_logout_without_authentication_is_allowed_to_the_token_holder(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client))["tokens"]
    assert (await client.post(LOGOUT, json={"refresh": tokens["refresh"]})).status_code == 200
    assert_401(await client.post(REFRESH, json={"refresh": tokens["refresh"]}))


async def test_logging_out_someone_elses_token_is_403_and_revokes_nothing(client: AsyncTestClient) -> None:
    victim = (await register_over_http(client, "victim"))["tokens"]
    intruder = (await register_over_http(client, "intruder"))["tokens"]

    response = await client.post(LOGOUT, json={"refresh": victim["refresh"]}, headers=bearer(intruder["access"]))

    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    assert (await client.post(REFRESH, json={"refresh": victim["refresh"]})).status_code == 200


async def test_logout_with_an_access_token_in_the_body_is_refused(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client))["tokens"]
    assert_401(await client.post(LOGOUT, json={"refresh": tokens["access"]}), "Token has wrong type")


async def test_logout_without_a_refresh_field_is_400(client: AsyncTestClient) -> None:
    response = await client.post(LOGOUT, json={})
    assert response.status_code == 400 and response.json() == {"refresh": ["This field is required."]}


async def test_a_bad_bearer_header_on_logout_is_401(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client))["tokens"]
    response = await client.post(LOGOUT, json={"refresh": tokens["refresh"]}, headers={"Authorization": "Token x"})
    assert_401(response)
