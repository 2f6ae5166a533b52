"""/patients/ over HTTP: every method, body shapes, uploads, errors."""

from __future__ import annotations

import pytest

from tests.support.care_http import Party, book_over_http, http_cast
from tests.support.pictures import png_bytes

FIELDS = {"id", "user", "profile", "phone"}


@pytest.fixture
async def people(client, sql_settings) -> dict[str, Party]:
    return await http_cast(client, sql_settings)


def item(party: Party, slash: str = "/") -> str:
    return f"/patients/{party.patient_id}{slash}"


async def test_list_is_paginated_in_the_guides_shape(client, people):
    response = await client.get("/patients/?limits=2", headers=people["admin"].headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5 and body["previous"] is None
    # Litestar hands the path over without its trailing slash; both spellings are served.
    assert body["next"].removesuffix("?limits=2&page=2") in {"http://testserver.local/patients",
                                                             "http://testserver.local/patients/"}
    assert all(set(row) == FIELDS for row in body["results"])
    second = (await client.get(body["next"], headers=people["admin"].headers)).json()
    assert second["previous"].endswith("/patients?limits=2") or second["previous"].endswith("/patients/?limits=2")
    everyone = sorted(party.patient_id for party in people.values() if party.patient_id)
    assert [row["id"] for row in body["results"] + second["results"]] == everyone[:4]
    assert (await client.get("/patients/?page=9", headers=people["admin"].headers)).json() == {
        "detail": "Invalid page."}


async def test_get_renders_username_profile_and_phone(client, people):
    owner = people["owner"]
    response = await client.get(item(owner), headers=owner.headers)
    assert response.status_code == 200
    assert response.json() == {"id": owner.patient_id, "user": owner.username, "profile": None, "phone": ""}


@pytest.mark.parametrize("slash", ["/", ""])
async def test_every_method_works_with_and_without_the_trailing_slash(client, people, slash):
    owner = people["owner"]
    assert (await client.get(f"/patients{slash}", headers=owner.headers)).status_code == 200
    assert (await client.post(f"/patients{slash}", json={}, headers=owner.headers)).status_code == 400
    assert (await client.get(item(owner, slash), headers=owner.headers)).status_code == 200
    assert (await client.put(item(owner, slash), json={"phone": "1"}, headers=owner.headers)).status_code == 200
    assert (await client.patch(item(owner, slash), json={"phone": "2"}, headers=owner.headers)).status_code == 200
    assert (await client.delete(item(owner, slash), headers=owner.headers)).status_code == 204


async def test_put_takes_a_multipart_picture_and_phone(client, people):
    owner = people["owner"]
    response = await client.put(item(owner), headers=owner.headers, data={"phone": "+880 1711-000"},
                                files={"profile": ("me.png", png_bytes(), "image/png")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["phone"] == "+8801711000"
    assert body["profile"].startswith("http://testserver.local/media/patient_profiles/")
    picture = await client.get(body["profile"].removeprefix("http://testserver.local"))
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"


async def test_patch_takes_json_and_urlencoded(client, people):
    owner = people["owner"]
    assert (await client.patch(item(owner), json={"phone": "111"}, headers=owner.headers)).json()["phone"] == "111"
    response = await client.patch(item(owner), data={"phone": "222"}, headers=owner.headers)
    assert response.json()["phone"] == "222"
    # An empty phone (or null) clears it; a body without phone leaves it.
    assert (await client.patch(item(owner), json={}, headers=owner.headers)).json()["phone"] == "222"
    assert (await client.patch(item(owner), json={"phone": None}, headers=owner.headers)).json()["phone"] == ""


async def test_fields_the_caller_does_not_own_are_ignored(client, people):
    owner = people["owner"]
    response = await client.patch(item(owner), json={"user": "someone", "id": 999, "phone": "5"},
                                  headers=owner.headers)
    assert response.json() == {"id": owner.patient_id, "user": owner.username, "profile": None, "phone": "5"}


@pytest.mark.parametrize(("phone", "message"), [
    ("1234567890123", "Ensure this field has no more than 12 characters."),
    ("12-ab", "Enter a valid phone number: digits and an optional leading +."),
    ("1" * 100, "Ensure this field has no more than 12 characters."),
])
async def test_invalid_phone_is_a_400_on_phone(client, people, phone, message):
    owner = people["owner"]
    response = await client.patch(item(owner), json={"phone": phone}, headers=owner.headers)
    assert (response.status_code, response.json()) == (400, {"phone": [message]})


async def test_a_duplicate_phone_is_a_400_on_phone(client, people):
    owner, other = people["owner"], people["other_patient"]
    await client.patch(item(other), json={"phone": "0123"}, headers=other.headers)
    response = await client.patch(item(owner), json={"phone": "0123"}, headers=owner.headers)
    assert (response.status_code, response.json()) == (400, {"phone": ["patient with this phone already exists."]})


async def test_a_bad_picture_is_a_400_on_profile_and_changes_nothing(client, people):
    owner = people["owner"]
    response = await client.put(item(owner), headers=owner.headers, data={"phone": "9"},
                                files={"profile": ("x.png", b"GIF89a<script>", "image/png")})
    assert response.status_code == 400 and set(response.json()) == {"profile"}
    assert (await client.get(item(owner), headers=owner.headers)).json()["phone"] == ""


async def test_create_is_a_400_for_a_caller_who_has_a_record(client, people):
    owner = people["owner"]
    response = await client.post("/patients/", data={"phone": "1"}, headers=owner.headers)
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["You already have a patient record."]}


async def test_create_after_deleting_ones_record(client, people):
    owner = people["owner"]
    assert (await client.delete(item(owner), headers=owner.headers)).status_code == 204
    assert (await client.get(item(owner), headers=owner.headers)).status_code == 404
    response = await client.post("/patients/", headers=owner.headers, data={"phone": "01711"},
                                 files={"profile": ("me.png", png_bytes(), "image/png")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == FIELDS and body["user"] == owner.username and body["phone"] == "01711"
    assert body["profile"].startswith("http://testserver.local/media/patient_profiles/")
    assert body["id"] != owner.patient_id
    assert (await client.get(f"/patients/{body['id']}/", headers=owner.headers)).status_code == 200


async def test_create_refuses_a_taken_phone(client, people):
    owner, other = people["owner"], people["other_patient"]
    await client.patch(item(other), json={"phone": "777"}, headers=other.headers)
    await client.delete(item(owner), headers=owner.headers)
    response = await client.post("/patients/", json={"phone": "777"}, headers=owner.headers)
    assert (response.status_code, response.json()) == (400, {"phone": ["patient with this phone already exists."]})


async def test_deleting_a_patient_deletes_their_appointments(client, people):
    owner = people["owner"]
    booked = await book_over_http(client, owner, people["doctor"])
    assert (await client.delete(item(owner), headers=people["admin"].headers)).status_code == 204
    response = await client.get(f"/appointments/{booked['id']}/", headers=people["admin"].headers)
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/patients/0/", "/patients/-1/", "/patients/987654/", f"/patients/{2**31}/",
                                  f"/patients/{10**30}/", "/patients/abc/"])
async def test_unknown_ids_are_404(client, people, path):
    admin = people["admin"]
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, path, json={}, headers=admin.headers)
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."}), (method, path)


async def test_anonymous_is_401_everywhere(client, people):
    owner = people["owner"]
    for method, path in [("GET", "/patients/"), ("POST", "/patients/"), ("GET", item(owner)), ("PUT", item(owner)),
                         ("PATCH", item(owner)), ("DELETE", item(owner))]:
        response = await client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer")
