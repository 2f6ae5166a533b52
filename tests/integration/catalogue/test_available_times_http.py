"""/available-time over HTTP: a plain array with the ?id= filter, admin writes."""

from __future__ import annotations

import pytest

PATH = "/available-time/"
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


async def create(client, headers, time: str) -> dict:
    response = await client.post(PATH, json={"time": time}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_anyone_lists_reads_and_filters_by_id(client, admin_caller, patient_caller):
    first = await create(client, admin_caller.headers, "Monday 9:00-10:00")
    second = await create(client, admin_caller.headers, "Tuesday 14:00-15:00")
    assert first == {"id": first["id"], "time": "Monday 9:00-10:00"}
    for headers in ({}, patient_caller.headers):
        assert (await client.get(PATH, headers=headers)).json() == [first, second]
        assert (await client.get(f"{PATH}?id={second['id']}", headers=headers)).json() == [second]
        assert (await client.get(f"/available-time?id={first['id']}", headers=headers)).json() == [first]
    assert (await client.get(f"{PATH}?id=")).json() == [first, second]
    assert (await client.get(f"{PATH}?id=999")).json() == []
    assert (await client.get(f"{PATH}?id={2**40}")).json() == []
    assert (await client.get(f"{PATH}{second['id']}/")).json() == second


@pytest.mark.parametrize("value", ["abc", "1.5", "1e3", "٣", "1_0", "9" * 5000])
async def test_a_non_integer_id_filter_is_a_400(client, value):
    response = await client.get(PATH, params={"id": value})
    assert (response.status_code, response.json()) == (400, {"id": ["A valid integer is required."]})


async def test_anonymous_writes_are_401_and_non_admin_writes_403(client, admin_caller, non_admin_callers):
    made = await create(client, admin_caller.headers, "Mon")
    before = (await client.get(PATH)).json()
    item = f"{PATH}{made['id']}/"
    for response in (await client.post(PATH, json={"time": "x"}), await client.put(item, json={"time": "x"}),
                     await client.patch(item, json={"time": "x"}), await client.delete(item)):
        assert response.status_code == 401 and "www-authenticate" in response.headers
    for caller in non_admin_callers:
        for response in (await client.post(PATH, json={"time": "x"}, headers=caller.headers),
                         await client.put(item, json={"time": "x"}, headers=caller.headers),
                         await client.patch(item, json={"time": "x"}, headers=caller.headers),
                         await client.delete(item, headers=caller.headers)):
            assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert (await client.get(PATH)).json() == before


async def test_an_admin_updates_and_deletes_and_unknown_ids_are_404(client, admin_caller):
    made = await create(client, admin_caller.headers, "Mon")
    item = f"{PATH}{made['id']}"
    put = await client.put(item, data={"time": "Wednesday"}, headers=admin_caller.headers)
    assert (put.status_code, put.json()) == (200, {"id": made["id"], "time": "Wednesday"})
    patch = await client.patch(item, json={}, headers=admin_caller.headers)
    assert (patch.status_code, patch.json()["time"]) == (200, "Wednesday")
    assert (await client.delete(item, headers=admin_caller.headers)).status_code == 204
    for response in (await client.get(item), await client.put(item, json={"time": "x"}, headers=admin_caller.headers),
                     await client.patch(item, json={"time": "x"}, headers=admin_caller.headers),
                     await client.delete(item, headers=admin_caller.headers)):
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


@pytest.mark.parametrize(("body", "message"), [
    ({}, "This field is required."),
    ({"time": ""}, "This field may not be blank."),
    ({"time": "x" * 51}, "Ensure this field has no more than 50 characters."),
    ({"time": 9}, "Not a valid string."),
    ({"time": None}, "This field may not be null."),
])
async def test_bad_labels_are_a_400_and_store_nothing(client, admin_caller, body, message):
    response = await client.post(PATH, json=body, headers=admin_caller.headers)
    assert (response.status_code, response.json()) == (400, {"time": [message]})
    assert (await client.get(PATH)).json() == []


async def test_a_full_update_needs_the_label(client, admin_caller):
    made = await create(client, admin_caller.headers, "Mon")
    response = await client.put(f"{PATH}{made['id']}/", json={}, headers=admin_caller.headers)
    assert (response.status_code, response.json()) == (400, {"time": ["This field is required."]})
