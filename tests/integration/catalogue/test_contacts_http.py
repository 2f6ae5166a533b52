"""/contacts over HTTP: anyone sends one; only admins list, read, change or delete them."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from hospital.bootstrap import build_container, shutdown
from hospital.entrypoints.http.app import create_app
from hospital.settings import RateLimit
from tests.conftest import make_settings

PATH = "/contacts/"
MESSAGE = {"name": "Ada", "phone": "+8801712", "massage": "Please call me back."}
UNAUTHENTICATED = {"detail": "Authentication credentials were not provided."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


async def test_anyone_sends_one_and_an_admin_lists_it(client, admin_caller, patient_caller):
    anonymous = await client.post(PATH, json=MESSAGE)
    assert (anonymous.status_code, anonymous.json()) == (201, {"id": anonymous.json()["id"], **MESSAGE})
    signed_in = await client.post(PATH.rstrip("/"), data=MESSAGE, headers=patient_caller.headers)
    assert signed_in.status_code == 201
    listed = await client.get(PATH, headers=admin_caller.headers)
    assert (listed.status_code, listed.json()) == (200, [anonymous.json(), signed_in.json()])


async def test_anonymous_callers_are_401_on_everything_but_sending(client):
    sent = (await client.post(PATH, json=MESSAGE)).json()
    item = f"{PATH}{sent['id']}/"
    for response in (await client.get(PATH), await client.get(item), await client.put(item, json=MESSAGE),
                     await client.patch(item, json=MESSAGE), await client.delete(item)):
        assert (response.status_code, response.json()) == (401, UNAUTHENTICATED)
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_non_admins_are_403_even_on_their_own_or_unknown_ids(client, admin_caller, non_admin_callers):
    for caller in non_admin_callers:
        sent = (await client.post(PATH, json=MESSAGE, headers=caller.headers)).json()
        for item in (f"{PATH}{sent['id']}/", f"{PATH}999/"):
            for response in (await client.get(item, headers=caller.headers),
                             await client.put(item, json=MESSAGE, headers=caller.headers),
                             await client.patch(item, json={"name": "x"}, headers=caller.headers),
                             await client.delete(item, headers=caller.headers)):
                assert (response.status_code, response.json()) == (403, FORBIDDEN)
        assert (await client.get(PATH, headers=caller.headers)).status_code == 403
    assert [c["name"] for c in (await client.get(PATH, headers=admin_caller.headers)).json()] == ["Ada", "Ada"]


async def test_an_admin_reads_changes_and_deletes(client, admin_caller):
    sent = (await client.post(PATH, json=MESSAGE)).json()
    item = f"{PATH}{sent['id']}/"
    assert (await client.get(item, headers=admin_caller.headers)).json() == sent
    patch = await client.patch(item, json={"phone": "017 1234-5678"}, headers=admin_caller.headers)
    assert (patch.status_code, patch.json()) == (200, {**sent, "phone": "01712345678"})
    put = await client.put(item, data={"name": "Bo", "phone": "1", "massage": "Hi"}, headers=admin_caller.headers)
    assert put.json() == {"id": sent["id"], "name": "Bo", "phone": "1", "massage": "Hi"}
    assert (await client.delete(item, headers=admin_caller.headers)).status_code == 204
    for response in (await client.get(item, headers=admin_caller.headers),
                     await client.patch(item, json={"name": "x"}, headers=admin_caller.headers),
                     await client.delete(item, headers=admin_caller.headers)):
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


@pytest.mark.parametrize(("changes", "errors"), [
    ({"name": "x" * 51}, {"name": ["Ensure this field has no more than 50 characters."]}),
    ({"phone": "123456789012"}, {"phone": ["Ensure this field has no more than 11 characters."]}),
    ({"phone": "12ab"}, {"phone": ["Enter a valid phone number: digits and an optional leading +."]}),
    ({"massage": ""}, {"massage": ["This field may not be blank."]}),
    ({"massage": None}, {"massage": ["This field may not be null."]}),
    ({"phone": 12345}, {"phone": ["Not a valid string."]}),
])
async def test_bad_input_is_a_400_and_stores_nothing(client, admin_caller, changes, errors):
    response = await client.post(PATH, json={**MESSAGE, **changes})
    assert (response.status_code, response.json()) == (400, errors)
    assert (await client.get(PATH, headers=admin_caller.headers)).json() == []


async def test_every_field_is_required(client, admin_caller):
    response = await client.post(PATH, json={})
    assert (response.status_code, response.json()) == (400, {
        "name": ["This field is required."], "phone": ["This field is required."],
        "massage": ["This field is required."],
    })
    sent = (await client.post(PATH, json=MESSAGE)).json()
    put = await client.put(f"{PATH}{sent['id']}/", json={"name": "Only"}, headers=admin_caller.headers)
    assert (put.status_code, set(put.json())) == (400, {"phone", "massage"})


async def test_sending_is_rate_limited_per_address(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url=database_url, rate_limit_auth=RateLimit(2, 60))
    container = build_container(settings)
    try:
        async with AsyncTestClient(create_app(container)) as client:
            statuses = [(await client.post(PATH, json=MESSAGE)).status_code for _ in range(3)]
            refused = await client.post(PATH, json=MESSAGE)
    finally:
        await shutdown(container)
    assert statuses == [201, 201, 429]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
