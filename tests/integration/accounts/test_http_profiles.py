"""/api/user/profiles: list, create, {id} get/put/patch/delete, me, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import insert

from hospital.adapters.sqlalchemy.tables import accounts as tables
from hospital.settings import Settings
from tests.support.actors import PASSWORD, admin
from tests.support.apps import side_container
from tests.support.http import bearer, login_over_http, register_over_http
from tests.support.image_files import NOT_AN_IMAGE, png_bytes

LIST = "/api/user/profiles/"
ME = "/api/user/profiles/me/"
PROFILE_FIELDS = {"id", "user", "bio", "address", "date_of_birth", "profile_picture", "created_at", "updated_at"}
USER_FIELDS = {"id", "username", "email", "first_name", "last_name", "is_staff", "is_active", "date_joined"}
NOT_FOUND = {"detail": "Not found."}
WRONG_DATE = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
INVALID_IMAGE = "Upload a valid image. The file you uploaded was either not an image or a corrupted image."


def item(profile_id: int) -> str:
    return f"/api/user/profiles/{profile_id}/"


async def user(client: AsyncTestClient, username: str, **fields: str) -> dict[str, str]:
    """Register over HTTP; the caller's bearer headers and profile id."""
    tokens = (await register_over_http(client, username, **fields))["tokens"]
    headers = bearer(tokens["access"])
    profile_id = (await client.get(ME, headers=headers)).json()["id"]
    return {"headers": headers, "profile_id": profile_id}  # type: ignore[dict-item]


async def admin_headers(client: AsyncTestClient, settings: Settings) -> dict[str, str]:
    async with side_container(settings) as container:
        assert (await admin(container, "boss")).is_admin
    return bearer((await login_over_http(client, "boss"))["access"])


def assert_profile_shape(body: dict) -> None:
    assert set(body) == PROFILE_FIELDS
    assert set(body["user"]) == USER_FIELDS
    for stamp in (body["created_at"], body["updated_at"], body["user"]["date_joined"]):
        assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).tzinfo is not None


def usernames(response) -> list[str]:
    return [result["user"]["username"] for result in response.json()["results"]]


# --- list -------------------------------------------------------------------------------------------

async def test_an_admin_lists_every_profile_paginated(client: AsyncTestClient, sql_settings: Settings) -> None:
    await user(client, "alice")
    await user(client, "bob")
    headers = await admin_headers(client, sql_settings)

    response = await client.get(LIST, headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)
    assert usernames(response) == ["alice", "bob", "boss"]
    for result in body["results"]:
        assert_profile_shape(result)


async def test_a_non_admin_lists_only_their_own_profile(client: AsyncTestClient) -> None:
    await user(client, "alice")
    bob = await user(client, "bob")

    response = await client.get(LIST, headers=bob["headers"])

    assert response.status_code == 200
    assert response.json()["count"] == 1 and usernames(response) == ["bob"]
    # searching for someone else finds nothing
    assert (await client.get(LIST, params={"search": "alice"}, headers=bob["headers"])).json()["count"] == 0


async def test_search_matches_username_email_first_and_last_name(client: AsyncTestClient,
                                                                 sql_settings: Settings) -> None:
    await user(client, "alice", first_name="Alice", last_name="Liddell")
    await user(client, "bob", email="bob@wonderland.org")
    await user(client, "carol", last_name="Wonder")
    headers = await admin_headers(client, sql_settings)

    async def found(search: str) -> list[str]:
        return usernames(await client.get(LIST, params={"search": search}, headers=headers))

    assert await found("LIDDELL") == ["alice"]
    assert await found("wonder") == ["bob", "carol"]
    assert await found("alice liddell") == ["alice"]
    assert await found("%") == []
    assert await found("\x00") == ["alice", "bob", "carol", "boss"]


async def test_pages_links_keep_the_other_query_parameters(client: AsyncTestClient, sql_settings: Settings) -> None:
    for name in ("p1", "p2", "p3", "p4", "p5"):
        await user(client, name, last_name="Same")
    headers = await admin_headers(client, sql_settings)
    params = {"search": "same", "limits": "2"}

    first = (await client.get(LIST, params=params, headers=headers)).json()
    second = (await client.get(LIST, params={**params, "page": "2"}, headers=headers)).json()
    third = (await client.get(LIST, params={**params, "page": "3"}, headers=headers)).json()

    assert [r["user"]["username"] for r in second["results"]] == ["p3", "p4"]
    assert first["count"] == second["count"] == 5 and first["previous"] is None and third["next"] is None
    next_url = urlsplit(first["next"])
    assert (next_url.scheme, next_url.netloc, next_url.path) == ("http", "testserver.local", LIST)
    assert parse_qs(next_url.query) == {"search": ["same"], "limits": ["2"], "page": ["2"]}
    assert parse_qs(urlsplit(second["next"]).query)["page"] == ["3"]
    # the first page's link carries no page number, as the original's did
    assert parse_qs(urlsplit(second["previous"]).query) == {"search": ["same"], "limits": ["2"]}
    assert parse_qs(urlsplit(third["previous"]).query)["page"] == ["2"]
    followed = await client.get(first["next"], headers=headers)
    assert followed.json() == second


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc", "999999999999999999999"])
async def test_a_page_past_the_end_or_not_a_page_is_404_invalid_page(client: AsyncTestClient, page: str) -> None:
    alice = await user(client, "alice")
    response = await client.get(LIST, params={"page": page}, headers=alice["headers"])
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


async def test_an_over_long_search_is_400_in_drf_words(client: AsyncTestClient) -> None:
    alice = await user(client, "alice")
    response = await client.get(LIST, params={"search": "a" * 1001}, headers=alice["headers"])
    assert response.status_code == 400
    assert response.json() == {"search": ["Ensure this field has no more than 1000 characters."]}


@pytest.mark.parametrize("limits", ["0", "-5", ""])
async def test_a_page_size_below_one_falls_back_to_the_default(client: AsyncTestClient, limits: str) -> None:
    alice = await user(client, "alice")
    response = await client.get(LIST, params={"limits": limits}, headers=alice["headers"])
    assert response.status_code == 200 and response.json()["count"] == 1


@pytest.mark.parametrize("limits", ["abc", "1.5", "١٢"])
async def test_a_page_size_that_is_not_an_integer_is_refused_by_name(client: AsyncTestClient, limits: str) -> None:
    # The document says `limits` is an integer; the original silently used the default instead.
    alice = await user(client, "alice")
    response = await client.get(LIST, params={"limits": limits}, headers=alice["headers"])
    assert (response.status_code, response.json()) == (400, {"limits": ["A valid integer is required."]})


async def test_page_sizes_are_capped_at_1000(client: AsyncTestClient, sql_settings: Settings) -> None:
    headers = await admin_headers(client, sql_settings)
    joined = datetime(2026, 1, 1, tzinfo=UTC)
    async with side_container(sql_settings) as container, container.session_factory()() as session:
        await session.execute(insert(tables.users), [
            {"id": 10_000 + n, "username": f"bulk{n}", "email": "", "password_hash": "x", "date_joined": joined}
            for n in range(1001)
        ])
        await session.execute(insert(tables.user_profiles), [
            {"user_id": 10_000 + n, "created_at": joined, "updated_at": joined} for n in range(1001)
        ])
        await session.commit()

    response = await client.get(LIST, params={"limits": "5000"}, headers=headers)

    body = response.json()
    assert body["count"] == 1002
    assert len(body["results"]) == 1000
    assert parse_qs(urlsplit(body["next"]).query) == {"limits": ["5000"], "page": ["2"]}
    assert len((await client.get(body["next"], headers=headers)).json()["results"]) == 2


async def test_listing_needs_authentication(client: AsyncTestClient) -> None:
    response = await client.get(LIST)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json() == {"detail": "Authentication credentials were not provided."}


# --- get and me -------------------------------------------------------------------------------------

async def test_the_owner_reads_their_profile_by_id_and_as_me(client: AsyncTestClient) -> None:
    alice = await user(client, "alice", first_name="Alice")

    by_id = await client.get(item(alice["profile_id"]), headers=alice["headers"])
    me = await client.get(ME, headers=alice["headers"])

    assert by_id.status_code == me.status_code == 200
    assert by_id.json() == me.json()
    assert_profile_shape(me.json())
    assert me.json()["user"]["first_name"] == "Alice"
    assert (me.json()["bio"], me.json()["date_of_birth"], me.json()["profile_picture"]) == ("", None, None)


async def test_another_users_profile_is_404(client: AsyncTestClient) -> None:
    alice, bob = await user(client, "alice"), await user(client, "bob")
    response = await client.get(item(alice["profile_id"]), headers=bob["headers"])
    assert response.status_code == 404 and response.json() == NOT_FOUND


async def test_an_admin_reads_anyones_profile(client: AsyncTestClient, sql_settings: Settings) -> None:
    alice = await user(client, "alice")
    response = await client.get(item(alice["profile_id"]), headers=await admin_headers(client, sql_settings))
    assert response.status_code == 200 and response.json()["user"]["username"] == "alice"


@pytest.mark.parametrize("profile_id", ["999", "abc", "2147483648", "99999999999999999999999", "-1"])
async def test_an_unknown_or_malformed_id_is_404(client: AsyncTestClient, sql_settings: Settings,
                                                 profile_id: str) -> None:
    headers = await admin_headers(client, sql_settings)
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, f"/api/user/profiles/{profile_id}/", headers=headers,
                                        **({"json": {}} if method in {"PUT", "PATCH"} else {}))
        assert response.status_code == 404, (method, response.text)
        assert response.json() == NOT_FOUND


async def test_me_after_deleting_the_profile_is_404(client: AsyncTestClient) -> None:
    alice = await user(client, "alice")
    await client.delete(item(alice["profile_id"]), headers=alice["headers"])
    response = await client.get(ME, headers=alice["headers"])
    assert response.status_code == 404 and set(response.json()) == {"detail"}


async def test_anonymous_reads_are_401(client: AsyncTestClient) -> None:
    alice = await user(client, "alice")
    for path in (ME, item(alice["profile_id"])):
        response = await client.get(path)
        assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")


# --- create -----------------------------------------------------------------------------------------

async def test_creating_a_second_profile_is_400(client: AsyncTestClient) -> None:
    alice = await user(client, "alice")
    response = await client.post(LIST, json={"bio": "again"}, headers=alice["headers"])
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["You already have a profile."]}


async def test_create_by_multipart_with_a_picture(client: AsyncTestClient) -> None:
    alice = await user(client, "alice")
    await client.delete(item(alice["profile_id"]), headers=alice["headers"])

    response = await client.post(LIST, headers=alice["headers"], data={
        "bio": "Hello", "address": "1 Rabbit Hole", "date_of_birth": "1990-02-03", "first_name": "Alicia",
    }, files={"profile_picture": ("face.png", png_bytes(), "image/png")})

    assert response.status_code == 201, response.text
    body = response.json()
    assert_profile_shape(body)
    assert (body["bio"], body["address"], body["date_of_birth"]) == ("Hello", "1 Rabbit Hole", "1990-02-03")
    assert body["user"]["first_name"] == "Alicia"
    assert body["profile_picture"].startswith("http://testserver.local/media/profile_pictures/")
    assert body["profile_picture"].endswith(".png")
    assert (await client.get(ME, headers=alice["headers"])).json() == body


@pytest.mark.parametrize("encoding", ["json", "form"])
async def test_create_by_json_or_urlencoded_form(client: AsyncTestClient, encoding: str) -> None:
    alice = await user(client, "alice")
    await client.delete(item(alice["profile_id"]), headers=alice["headers"])
    fields = {"bio": "Plain", "address": "Somewhere"}

    response = await client.post(LIST, headers=alice["headers"], **{"json" if encoding == "json" else "data": fields})

    assert response.status_code == 201, response.text
    assert (response.json()["bio"], response.json()["address"], response.json()["profile_picture"]) == (
        "Plain", "Somewhere", None)


async def test_a_refused_create_leaves_nothing(client: AsyncTestClient, sql_settings: Settings) -> None:
    alice = await user(client, "alice")
    await client.delete(item(alice["profile_id"]), headers=alice["headers"])

    response = await client.post(LIST, headers=alice["headers"], data={"date_of_birth": "2999-01-01"},
                                 files={"profile_picture": ("face.png", png_bytes(), "image/png")})

    assert response.status_code == 400
    assert response.json() == {"date_of_birth": ["Date of birth cannot be in the future."]}
    assert (await client.get(ME, headers=alice["headers"])).status_code == 404
    assert list((sql_settings.media_root / "profile_pictures").glob("*")) == []


async def test_anonymous_create_is_401(client: AsyncTestClient) -> None:
    assert (await client.post(LIST, json={"bio": "x"})).status_code == 401


# --- update -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("encoding", ["json", "form", "multipart"])
async def test_put_and_patch_change_the_fields_sent_in_any_encoding(client: AsyncTestClient, method: str,
                                                                   encoding: str) -> None:
    alice = await user(client, "alice", first_name="Alice", last_name="Liddell")
    fields = {"bio": "New bio", "address": "New address", "date_of_birth": "1991-04-05", "username": "alicia",
              "email": "alicia@Example.org"}
    extra: dict = {"json": fields} if encoding == "json" else {"data": fields}
    if encoding == "multipart":
        extra["files"] = {"profile_picture": ("p.png", png_bytes(), "image/png")}

    response = await client.request(method, item(alice["profile_id"]), headers=alice["headers"], **extra)

    assert response.status_code == 200, response.text
    body = response.json()
    assert_profile_shape(body)
    assert (body["bio"], body["address"], body["date_of_birth"]) == ("New bio", "New address", "1991-04-05")
    assert (body["user"]["username"], body["user"]["email"]) == ("alicia", "alicia@example.org")
    assert (body["user"]["first_name"], body["user"]["last_name"]) == ("Alice", "Liddell")
    assert (body["profile_picture"] is not None) == (encoding == "multipart")
    assert body["updated_at"] >= body["created_at"]
    assert (await client.get(ME, headers=alice["headers"])).json() == body
    assert (await client.post("/api/user/login/", json={"username": "alicia", "password": PASSWORD})).status_code == 200


async def test_patch_keeps_what_is_not_sent_and_an_empty_date_clears_it(client: AsyncTestClient) -> None:
    alice = await user(client, "alice")
    url, headers = item(alice["profile_id"]), alice["headers"]
    await client.patch(url, json={"bio": "Bio", "date_of_birth": "1990-01-01"}, headers=headers)

    kept = (await client.patch(url, json={"address": "Addr"}, headers=headers)).json()
    assert (kept["bio"], kept["address"], kept["date_of_birth"]) == ("Bio", "Addr", "1990-01-01")
    assert (await client.patch(url, data={"date_of_birth": ""}, headers=headers)).json()["date_of_birth"] is None
    await client.patch(url, json={"date_of_birth": "1990-01-01"}, headers=headers)
    assert (await client.patch(url, json={"date_of_birth": None}, headers=headers)).json()["date_of_birth"] is None


@pytest.mark.parametrize(("fields", "expected"), [
    ({"date_of_birth": "01/02/1990"}, {"date_of_birth": [WRONG_DATE]}),
    ({"date_of_birth": "19900102"}, {"date_of_birth": [WRONG_DATE]}),
    ({"date_of_birth": "1990-01-02T00:00:00"}, {"date_of_birth": [WRONG_DATE]}),
    ({"date_of_birth": "1990-02-30"}, {"date_of_birth": [WRONG_DATE]}),
    ({"date_of_birth": "2999-01-01"}, {"date_of_birth": ["Date of birth cannot be in the future."]}),
    ({"email": "nope"}, {"email": ["Enter a valid email address."]}),
    ({"address": "a" * 256}, {"address": ["Ensure this field has no more than 255 characters."]}),
    ({"bio": 5}, {"bio": ["Not a valid string."]}),
    ({"username": ""}, {"username": ["This field may not be blank."]}),
    ({"bio": "nul\x00"}, {"bio": ["Null characters are not allowed."]}),
])
async def test_invalid_updates_are_400_and_change_nothing(client: AsyncTestClient, fields: dict,
                                                          expected: dict) -> None:
    alice = await user(client, "alice")
    before = (await client.get(ME, headers=alice["headers"])).json()

    response = await client.patch(item(alice["profile_id"]), json={**fields, "address": fields.get("address", "X")},
                                  headers=alice["headers"])

    assert response.status_code == 400
    assert response.json() == expected
    assert (await client.get(ME, headers=alice["headers"])).json() == before


BLANK_EMAIL = {"email": ["This field may not be blank."]}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("encoding", ["json", "form", "multipart"])
@pytest.mark.parametrize("email", ["", "   "])
async def test_an_email_cannot_be_blanked_by_put_or_patch_and_nothing_changes(
        client: AsyncTestClient, sql_settings: Settings, method: str, encoding: str, email: str) -> None:
    """Registration requires an email; no later write may take it away (issue 15)."""
    alice = await user(client, "alice")
    before = (await client.get(ME, headers=alice["headers"])).json()
    fields = {"email": email, "first_name": "Changed", "bio": "Changed"}
    extra: dict = {"json": fields} if encoding == "json" else {"data": fields}
    if encoding == "multipart":
        extra["files"] = {"profile_picture": ("p.png", png_bytes(), "image/png")}

    response = await client.request(method, item(alice["profile_id"]), headers=alice["headers"], **extra)

    assert response.status_code == 400
    assert response.json() == BLANK_EMAIL
    assert (await client.get(ME, headers=alice["headers"])).json() == before
    assert list((sql_settings.media_root / "profile_pictures").glob("*")) == []


async def test_creating_a_profile_cannot_blank_the_email_either(client: AsyncTestClient) -> None:
    alice = await user(client, "alice")
    await client.delete(item(alice["profile_id"]), headers=alice["headers"])

    response = await client.post(LIST, headers=alice["headers"], json={"email": "", "bio": "Hello"})

    assert response.status_code == 400
    assert response.json() == BLANK_EMAIL
    assert (await client.get(ME, headers=alice["headers"])).status_code == 404


async def test_a_taken_username_is_400_even_in_another_case(client: AsyncTestClient) -> None:
    await user(client, "alice")
    bob = await user(client, "bob")
    response = await client.patch(item(bob["profile_id"]), json={"username": "ALICE"}, headers=bob["headers"])
    assert response.status_code == 400
    assert response.json() == {"username": ["A user with that username already exists."]}


async def test_unknown_fields_cannot_make_anyone_an_admin(client: AsyncTestClient) -> None:
    alice = await user(client, "alice")
    response = await client.patch(item(alice["profile_id"]), json={"is_staff": True, "user": {"is_staff": True}},
                                  headers=alice["headers"])
    assert response.status_code == 200 and response.json()["user"]["is_staff"] is False


async def test_another_users_profile_cannot_be_changed_404(client: AsyncTestClient) -> None:
    alice, bob = await user(client, "alice"), await user(client, "bob")
    for method in ("PUT", "PATCH"):
        response = await client.request(method, item(alice["profile_id"]), json={"bio": "mine"},
                                        headers=bob["headers"])
        assert response.status_code == 404 and response.json() == NOT_FOUND
    assert (await client.get(ME, headers=alice["headers"])).json()["bio"] == ""


async def test_an_admin_changes_anyones_profile(client: AsyncTestClient, sql_settings: Settings) -> None:
    alice = await user(client, "alice")
    response = await client.put(item(alice["profile_id"]), json={"bio": "by admin"},
                                headers=await admin_headers(client, sql_settings))
    assert response.status_code == 200 and response.json()["bio"] == "by admin"


async def test_a_non_image_picture_is_400_on_profile_picture(client: AsyncTestClient) -> None:
    alice = await user(client, "alice")
    response = await client.patch(item(alice["profile_id"]), headers=alice["headers"],
                                  files={"profile_picture": ("face.png", NOT_AN_IMAGE, "image/png")})
    assert response.status_code == 400
    assert response.json() == {"profile_picture": [INVALID_IMAGE]}


async def test_an_oversized_upload_is_refused(client: AsyncTestClient, sql_settings: Settings) -> None:
    alice = await user(client, "alice")
    too_big_for_an_image = b"\x89PNG" + b"\0" * sql_settings.max_upload_bytes
    too_big_for_a_body = b"\0" * (sql_settings.max_body_bytes + 1)

    image = await client.patch(item(alice["profile_id"]), headers=alice["headers"],
                               files={"profile_picture": ("big.png", too_big_for_an_image, "image/png")})
    body = await client.patch(item(alice["profile_id"]), headers=alice["headers"],
                              files={"profile_picture": ("huge.png", too_big_for_a_body, "image/png")})

    assert image.status_code == 400
    assert image.json() == {"profile_picture": ["Ensure this file is no larger than 5 MB."]}
    assert body.status_code == 413
    assert body.json() == {"detail": "Request body is too large."}
    assert (await client.get(ME, headers=alice["headers"])).json()["profile_picture"] is None


# --- delete -----------------------------------------------------------------------------------------

async def test_the_owner_deletes_their_profile_204_empty(client: AsyncTestClient) -> None:
    alice = await user(client, "alice")

    response = await client.delete(item(alice["profile_id"]), headers=alice["headers"])

    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(item(alice["profile_id"]), headers=alice["headers"])).status_code == 404
    assert (await client.delete(item(alice["profile_id"]), headers=alice["headers"])).status_code == 404


async def test_another_users_profile_cannot_be_deleted(client: AsyncTestClient) -> None:
    alice, bob = await user(client, "alice"), await user(client, "bob")
    response = await client.delete(item(alice["profile_id"]), headers=bob["headers"])
    assert response.status_code == 404 and response.json() == NOT_FOUND
    assert (await client.get(ME, headers=alice["headers"])).status_code == 200


async def test_an_admin_deletes_anyones_profile(client: AsyncTestClient, sql_settings: Settings) -> None:
    alice = await user(client, "alice")
    response = await client.delete(item(alice["profile_id"]), headers=await admin_headers(client, sql_settings))
    assert response.status_code == 204
    assert (await client.get(ME, headers=alice["headers"])).status_code == 404
