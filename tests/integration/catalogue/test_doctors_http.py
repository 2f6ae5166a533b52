"""/doctors over HTTP: the paginated public list with filters, admin create, owner or admin update."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.http import register_over_http
from tests.support.images import NOT_AN_IMAGE, png_bytes

PATH = "/doctors/"
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
DOCTOR_FIELDS = ["id", "user", "profile", "designation", "specialisation", "available_time", "fee", "meet_link"]


def form(catalogue, **overrides) -> dict:
    """A valid multipart/urlencoded body: lists as repeated keys."""
    body = {"designation": [str(catalogue.designations[0])], "specialisation": [str(catalogue.specialisations[0])],
            "available_time": [str(t) for t in catalogue.times], "fee": "500",
            "meet_link": "https://meet.example.com/room"}
    body.update(overrides)
    return body


def json_body(catalogue, **overrides) -> dict:
    body = {"designation": [catalogue.designations[0]], "specialisation": [catalogue.specialisations[0]],
            "available_time": list(catalogue.times), "fee": 500, "meet_link": ""}
    body.update(overrides)
    return body


def link(url: str) -> tuple[str, dict[str, list[str]]]:
    """A next/previous link as (address, query), since the order of query parameters is not part of it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qs(parts.query, keep_blank_values=True)


async def other_user_id(client) -> int:
    return (await register_over_http(client, first_name="Lisa", last_name="Cuddy"))["user"]["id"]


# reading


async def test_anyone_lists_doctors_in_the_guides_shape(client, doctor_caller, catalogue, patient_caller):
    for headers in ({}, patient_caller.headers, doctor_caller.headers):
        response = await client.get(PATH, headers=headers)
        assert response.status_code == 200
        body = response.json()
        assert (body["count"], body["next"], body["previous"]) == (1, None, None)
        (doctor,) = body["results"]
        assert list(doctor)[:8] == DOCTOR_FIELDS
        assert doctor == {
            "id": doctor_caller.doctor_id, "user": "Gregory House", "profile": None,
            "designation": ["Senior Consultant"], "specialisation": ["Cardiology"],
            "available_time": [catalogue.times[0]], "fee": 500, "meet_link": "https://meet.example.com/dr",
            "user_id": doctor_caller.user_id,
        }
    assert (await client.get(f"{PATH}{doctor_caller.doctor_id}")).json() == doctor


async def test_an_unknown_doctor_is_404(client):
    for url in (f"{PATH}999/", f"{PATH}{2**40}/", f"{PATH}x/"):
        response = await client.get(url)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


async def test_the_list_pages_with_page_and_limits(client, direct, catalogue):
    from tests.support.catalogue import seed_doctors

    ids = await seed_doctors(direct, catalogue, 5)
    first = (await client.get(PATH, params={"limits": 2, "fee": ""})).json()
    assert ([d["id"] for d in first["results"]], first["count"], first["previous"]) == (ids[:2], 5, None)
    assert link(first["next"]) == ("http://testserver.local/doctors/", {"limits": ["2"], "fee": [""], "page": ["2"]})
    second = (await client.get(first["next"])).json()
    assert [d["id"] for d in second["results"]] == ids[2:4]
    assert link(second["previous"]) == ("http://testserver.local/doctors/", {"limits": ["2"], "fee": [""]})
    assert [d["id"] for d in (await client.get(PATH, params={"limits": 2, "page": 3})).json()["results"]] == ids[4:]
    beyond = await client.get(PATH, params={"page": 4, "limits": 2})
    assert (beyond.status_code, beyond.json()) == (404, {"detail": "Invalid page."})


async def test_the_list_filters_by_ids_and_fee(client, admin_caller, doctor_caller, catalogue):
    d, s, t = catalogue.designations, catalogue.specialisations, catalogue.times
    other = await client.post(PATH, json=json_body(
        catalogue, user=await other_user_id(client), designation=[d[1]], specialisation=[s[1]],
        available_time=[t[1]], fee=900,
    ), headers=admin_caller.headers)
    assert other.status_code == 201, other.text
    mine, theirs = doctor_caller.doctor_id, other.json()["id"]

    async def ids(query: str) -> list[int]:
        response = await client.get(f"{PATH}?{query}")
        assert response.status_code == 200, response.text
        return [doctor["id"] for doctor in response.json()["results"]]

    assert await ids(f"designation={d[1]}") == [theirs]
    assert await ids(f"specialisation={s[0]}") == [mine]
    assert await ids(f"available_time={t[0]}") == [mine]
    assert await ids("fee=900") == [theirs]
    assert await ids(f"designation={d[0]}&designation={d[1]}") == [mine, theirs]
    assert await ids(f"designation={d[1]}&fee=500") == []
    assert await ids("designation=") == [mine, theirs]
    assert await ids(f"fee={2**40}&designation={2**40}") == []


@pytest.mark.parametrize("param", ["specialisation", "designation", "fee", "available_time"])
@pytest.mark.parametrize("value", ["abc", "1.0", "0x10", "1 2"])
async def test_a_non_integer_filter_is_a_400_naming_it(client, param, value):
    response = await client.get(PATH, params={param: value})
    assert (response.status_code, response.json()) == (400, {param: ["A valid integer is required."]})


# creating


async def test_an_admin_creates_a_doctor_with_a_picture_by_multipart(client, admin_caller, catalogue):
    response = await client.post(PATH, data=form(catalogue), files={"profile": ("me.png", png_bytes(), "image/png")},
                                 headers=admin_caller.headers)
    assert response.status_code == 201, response.text
    doctor = response.json()
    assert doctor["profile"].startswith("http://testserver.local/media/doctors/")
    assert (doctor["user_id"], doctor["designation"], doctor["available_time"]) == (
        admin_caller.user_id, ["Senior Consultant"], list(catalogue.times),
    )
    picture = await client.get(doctor["profile"].removeprefix("http://testserver.local"))
    assert (picture.status_code, picture.headers["content-type"], picture.content) == (200, "image/png", png_bytes())
    assert (await client.get(f"{PATH}{doctor['id']}/")).json() == doctor


async def test_lists_arrive_as_repeated_keys_json_arrays_or_a_json_body(client, admin_caller, catalogue):
    d = [str(pk) for pk in catalogue.designations]
    bodies = [
        {"data": form(catalogue, designation=d, user=str(await other_user_id(client)))},
        {"data": form(catalogue, designation=f"[{d[0]}, {d[1]}]", user=str(await other_user_id(client)))},
        {"json": json_body(catalogue, designation=[int(pk) for pk in d], user=await other_user_id(client))},
    ]
    for body in bodies:
        response = await client.post(PATH, headers=admin_caller.headers, **body)
        assert response.status_code == 201, response.text
        assert response.json()["designation"] == ["Senior Consultant", "Resident"]


async def test_the_admin_may_name_another_user_and_a_user_has_one_record(client, admin_caller, doctor_caller,
                                                                        catalogue):
    user_id = await other_user_id(client)
    response = await client.post(PATH, json=json_body(catalogue, user=user_id), headers=admin_caller.headers)
    assert (response.status_code, response.json()["user"], response.json()["user_id"]) == (201, "Lisa Cuddy", user_id)
    for user in (user_id, doctor_caller.user_id):
        again = await client.post(PATH, json=json_body(catalogue, user=user), headers=admin_caller.headers)
        assert (again.status_code, again.json()) == (400, {"user": ["doctor with this user already exists."]})
    for user in (999, 2**40, 0):
        unknown = await client.post(PATH, json=json_body(catalogue, user=user), headers=admin_caller.headers)
        message = f'Invalid pk "{user}" - object does not exist.'
        assert (unknown.status_code, unknown.json()) == (400, {"user": [message]})
    assert (await client.get(PATH)).json()["count"] == 2


async def test_anonymous_creates_are_401_and_non_admin_creates_403(client, catalogue, non_admin_callers):
    response = await client.post(PATH, json=json_body(catalogue))
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    for caller in non_admin_callers:
        response = await client.post(PATH, json=json_body(catalogue), headers=caller.headers)
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert (await client.get(PATH)).json()["count"] == 1


@pytest.mark.parametrize(("changes", "errors"), [
    ({"designation": [99]}, {"designation": ['Invalid pk "99" - object does not exist.']}),
    ({"specialisation": [98, 99]}, {"specialisation": ['Invalid pk "98" - object does not exist.',
                                                       'Invalid pk "99" - object does not exist.']}),
    ({"available_time": [2**40]}, {"available_time": [f'Invalid pk "{2**40}" - object does not exist.']}),
    ({"designation": []}, {"designation": ["This list may not be empty."]}),
    ({"designation": "1"}, {"designation": ["Expected a list of items."]}),
    ({"designation": ["x"]}, {"designation": ["A valid integer is required."]}),
    ({"fee": -1}, {"fee": ["Ensure this value is greater than or equal to 0."]}),
    ({"fee": "abc"}, {"fee": ["A valid integer is required."]}),
    ({"fee": 1.5}, {"fee": ["A valid integer is required."]}),
    ({"fee": None}, {"fee": ["This field may not be null."]}),
    ({"meet_link": "http://meet.example.com"}, {"meet_link": ["Enter a valid https URL."]}),
    ({"meet_link": "https://meet.example.com/" + "x" * 250},
     {"meet_link": ["Ensure this field has no more than 250 characters."]}),
    ({"meet_link": 7}, {"meet_link": ["Not a valid string."]}),
])
async def test_bad_json_input_is_a_400_naming_the_field(client, admin_caller, catalogue, changes, errors):
    response = await client.post(PATH, json=json_body(catalogue, **changes), headers=admin_caller.headers)
    assert (response.status_code, response.json()) == (400, errors)
    assert (await client.get(PATH)).json()["count"] == 0


@pytest.mark.parametrize(("changes", "field"), [
    ({"fee": "-5"}, "fee"), ({"fee": "five"}, "fee"), ({"designation": "one"}, "designation"),
    ({"available_time": "[1, "}, "available_time"), ({"specialisation": "[\"a\"]"}, "specialisation"),
    ({"designation": "[" * 100_000 + "]" * 100_000}, "designation"), ({"designation": "[[1]]"}, "designation"),
    ({"designation": '{"a": 1}'}, "designation"),
])
async def test_bad_form_input_is_a_400_naming_the_field(client, admin_caller, catalogue, changes, field):
    response = await client.post(PATH, data=form(catalogue, **changes), headers=admin_caller.headers)
    assert response.status_code == 400
    assert list(response.json()) == [field]


async def test_a_profile_that_is_no_image_is_a_400_and_nothing_is_stored(client, admin_caller, catalogue):
    response = await client.post(PATH, data=form(catalogue), files={"profile": ("me.png", NOT_AN_IMAGE, "image/png")},
                                 headers=admin_caller.headers)
    assert response.status_code == 400 and list(response.json()) == ["profile"]
    assert (await client.get(PATH)).json()["count"] == 0


async def test_create_needs_the_lists_and_the_fee(client, admin_caller):
    response = await client.post(PATH, json={}, headers=admin_caller.headers)
    assert (response.status_code, response.json()) == (400, {
        name: ["This field is required."] for name in ("designation", "specialisation", "available_time", "fee")
    })


# updating


async def test_the_doctor_updates_their_own_record(client, doctor_caller, catalogue):
    item = f"{PATH}{doctor_caller.doctor_id}/"
    put = await client.put(item, data=form(catalogue, fee="650", meet_link=""), headers=doctor_caller.headers,
                           files={"profile": ("p.png", png_bytes(), "image/png")})
    assert put.status_code == 200, put.text
    changed = put.json()
    assert (changed["fee"], changed["meet_link"], changed["available_time"]) == (650, "", list(catalogue.times))
    assert put.json()["profile"].startswith("http://testserver.local/media/doctors/")
    patch = await client.patch(item, json={"fee": 0}, headers=doctor_caller.headers)
    assert patch.json() == {**put.json(), "fee": 0}


async def test_an_admin_updates_any_record_and_may_move_it_to_another_user(client, admin_caller, doctor_caller):
    item = f"{PATH}{doctor_caller.doctor_id}/"
    user_id = await other_user_id(client)
    response = await client.patch(item, json={"user": user_id}, headers=admin_caller.headers)
    assert (response.status_code, response.json()["user"], response.json()["user_id"]) == (200, "Lisa Cuddy", user_id)


async def test_a_doctor_may_not_change_the_user(client, doctor_caller, patient_caller):
    item = f"{PATH}{doctor_caller.doctor_id}/"
    response = await client.patch(item, json={"user": patient_caller.user_id}, headers=doctor_caller.headers)
    assert response.status_code == 403
    same = await client.patch(item, json={"user": doctor_caller.user_id}, headers=doctor_caller.headers)
    assert same.status_code == 200
    assert (await client.get(item)).json()["user_id"] == doctor_caller.user_id


async def test_update_permissions(client, admin_caller, doctor_caller, patient_caller, catalogue):
    item = f"{PATH}{doctor_caller.doctor_id}/"
    anonymous = await client.patch(item, json={"fee": 1})
    assert anonymous.status_code == 401 and "www-authenticate" in anonymous.headers
    assert (await client.put(item, json=json_body(catalogue))).status_code == 401
    other = await client.post(PATH, json=json_body(catalogue, user=patient_caller.user_id),
                              headers=admin_caller.headers)
    assert other.status_code == 201
    # The patient is now a doctor too, but of another record: still not theirs to change.
    for method in (client.patch, client.put):
        response = await method(item, json=json_body(catalogue, fee=1), headers=patient_caller.headers)
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
    for headers in (doctor_caller.headers, admin_caller.headers):
        response = await client.patch(f"{PATH}999/", json={"fee": 1}, headers=headers)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert (await client.get(item)).json()["fee"] == 500


async def test_a_full_update_needs_the_required_fields_and_bad_input_changes_nothing(client, doctor_caller):
    item = f"{PATH}{doctor_caller.doctor_id}/"
    before = (await client.get(item)).json()
    put = await client.put(item, json={"fee": 10}, headers=doctor_caller.headers)
    assert (put.status_code, set(put.json())) == (400, {"designation", "specialisation", "available_time"})
    for body in ({"fee": -3}, {"designation": [404]}, {"meet_link": "javascript:alert(1)"}, {"available_time": []}):
        response = await client.patch(item, json=body, headers=doctor_caller.headers)
        assert (response.status_code, list(response.json())) == (400, list(body)), body
    bad_picture = await client.patch(item, files={"profile": ("x.png", NOT_AN_IMAGE, "image/png")},
                                     headers=doctor_caller.headers)
    assert bad_picture.status_code == 400
    assert (await client.get(item)).json() == before


# deleting


async def test_only_an_admin_deletes_a_doctor(client, admin_caller, doctor_caller, patient_caller):
    item = f"{PATH}{doctor_caller.doctor_id}/"
    assert (await client.delete(item)).status_code == 401
    for caller in (patient_caller, doctor_caller):
        assert (await client.delete(item, headers=caller.headers)).status_code == 403
    deleted = await client.delete(item.rstrip("/"), headers=admin_caller.headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await client.get(item)).status_code == 404
    again = await client.delete(item, headers=admin_caller.headers)
    assert (again.status_code, again.json()) == (404, NOT_FOUND)
