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
    # A label with more than a range in it stays windowless (dated scheduling's start and end).
    assert first == {"id": first["id"], "time": "Monday 9:00-10:00", "start": None, "end": None}
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
    assert (put.status_code, put.json()) == (200, {"id": made["id"], "time": "Wednesday", "start": None, "end": None})
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


# --- windows (dated scheduling, SCHEDULING.md section 2) ------------------------------------------------

@pytest.mark.parametrize(("label", "window"), [
    ("9am-10am", ("09:00", "10:00")), ("9 AM - 10 AM", ("09:00", "10:00")), ("09:00-10:00", ("09:00", "10:00")),
    ("9:30am-11am", ("09:30", "11:00")), ("Morning", (None, None)),
])
async def test_a_label_that_reads_as_a_range_gets_its_window(client, admin_caller, label, window):
    made = await create(client, admin_caller.headers, label)
    assert (made["time"], made["start"], made["end"]) == (label, *window)


async def test_a_window_sent_wins_and_the_label_is_never_changed(client, admin_caller):
    response = await client.post(PATH, json={"time": "9am-10am", "start": "08:00", "end": "08:45"},
                                 headers=admin_caller.headers)
    assert (response.status_code, response.json()["start"], response.json()["end"]) == (201, "08:00", "08:45")
    item = f"{PATH}{response.json()['id']}/"
    patched = await client.patch(item, json={"start": "13:00", "end": "14:00"}, headers=admin_caller.headers)
    assert (patched.json()["time"], patched.json()["start"]) == ("9am-10am", "13:00")


@pytest.mark.parametrize(("body", "field"), [
    ({"time": "x", "start": "10:00", "end": "09:00"}, "end"), ({"time": "x", "start": "10:00"}, "end"),
    ({"time": "x", "end": "10:00"}, "start"), ({"time": "x", "start": "9:00", "end": "10:00"}, "start"),
])
async def test_a_bad_window_is_a_400_naming_the_field(client, admin_caller, body, field):
    response = await client.post(PATH, json=body, headers=admin_caller.headers)
    assert response.status_code == 400 and field in response.json(), response.text
