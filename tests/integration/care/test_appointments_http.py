"""/appointments/ over HTTP: every method, the exact response shape, booking rules, the lifecycle."""

from __future__ import annotations

import pytest

from tests.support.care_http import Party, book_over_http, http_cast

VALID_TYPES = "Valid choices: Online, Offline."
VALID_STATUSES = "Valid choices: Pendding, Runing, Complated."

# The guide's fields first, as the guide orders them; then what dated scheduling adds (SCHEDULING.md
# section 5), null or "proposed" on an undated appointment.
GUIDE_FIELDS = ["id", "patient", "doctor", "appointment_type", "appointment_status", "symptoms", "time", "cancel"]
UNDATED = {"start": None, "end": None, "status": "proposed", "cancellation_reason": None, "cancelled_by": None,
           "cancelled_at": None, "replaces": None, "replaced_by": None}
FIELDS = [*GUIDE_FIELDS, *UNDATED]


@pytest.fixture
async def people(client, sql_settings) -> dict[str, Party]:
    return await http_cast(client, sql_settings)


def booking(of: Party, time_index: int = 0, **fields) -> dict:
    return {"doctor": of.doctor_id, "time": of.times[time_index], "appointment_type": "Online",
            "symptoms": "cough", "cancel": False, **fields}


async def admin_view(client, people, appointment_id: int) -> dict:
    return (await client.get(f"/appointments/{appointment_id}/", headers=people["admin"].headers)).json()


# --- create ----------------------------------------------------------------------------------------

async def test_create_answers_the_guides_shape_exactly(client, people):
    owner, doctor = people["owner"], people["doctor"]
    response = await client.post("/appointments/", json=booking(doctor), headers=owner.headers)
    assert response.status_code == 201
    body = response.json()
    assert list(body) == FIELDS
    assert body == {"id": body["id"], "patient": owner.patient_id, "doctor": doctor.doctor_id,
                    "appointment_type": "Online", "appointment_status": "Pendding", "symptoms": "cough",
                    "time": doctor.times[0], "cancel": False, **UNDATED}


async def test_create_takes_forms_too(client, people):
    owner, doctor = people["owner"], people["doctor"]
    form = {"doctor": str(doctor.doctor_id), "time": str(doctor.times[1]), "appointment_type": "Offline",
            "cancel": "false"}
    urlencoded = await client.post("/appointments/", data=form, headers=owner.headers)
    multipart = await client.post("/appointments/", data=form, files={"x": ("x.txt", b"x", "text/plain")},
                                  headers=owner.headers)
    for response in (urlencoded, multipart):
        assert response.status_code == 201, response.text
        assert (response.json()["appointment_type"], response.json()["cancel"]) == ("Offline", False)


async def test_the_patient_is_always_the_caller(client, people):
    owner, other = people["owner"], people["other_patient"]
    response = await client.post("/appointments/", json=booking(people["doctor"], patient=other.patient_id),
                                 headers=owner.headers)
    assert response.json()["patient"] == owner.patient_id


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"doctor": 424242}, "doctor", 'Invalid pk "424242" - object does not exist.'),
    ({"doctor": 2**40}, "doctor", "Ensure this value is less than or equal to 2147483647."),
    ({"doctor": "abc"}, "doctor", "A valid integer is required."),
    ({"time": 424242}, "time", "This time is not one of the doctor's available times."),
    ({"time": 0}, "time", "Ensure this value is greater than or equal to 1."),
    ({"appointment_type": "Phone"}, "appointment_type", f'"Phone" is not a valid choice. {VALID_TYPES}'),
    ({"symptoms": "x" * 5001}, "symptoms", "Ensure this field has no more than 5000 characters."),
    ({"cancel": "maybe"}, "cancel", "Must be a valid boolean."),
    ({"appointment_status": "Done"}, "appointment_status", f'"Done" is not a valid choice. {VALID_STATUSES}'),
])
async def test_create_refuses_invalid_fields_with_a_400_on_the_field(client, people, change, field, message):
    response = await client.post("/appointments/", json=booking(people["doctor"], **change),
                                 headers=people["owner"].headers)
    assert (response.status_code, response.json()) == (400, {field: [message]})
    assert (await client.get("/appointments/", headers=people["admin"].headers)).json()["count"] == 0


async def test_every_field_error_is_reported_at_once_and_a_choice_lists_the_allowed_values(client, people):
    response = await client.post("/appointments/", json={"appointment_type": "Phone", "cancel": "maybe",
                                                          "appointment_status": "Done"},
                                 headers=people["owner"].headers)
    assert response.status_code == 400
    assert response.json() == {
        "doctor": ["This field is required."],
        "time": ["This field is required."],
        "appointment_type": [f'"Phone" is not a valid choice. {VALID_TYPES}'],
        "cancel": ["Must be a valid boolean."],
        "appointment_status": [f'"Done" is not a valid choice. {VALID_STATUSES}'],
    }


async def test_create_refuses_another_doctors_time(client, people):
    body = booking(people["doctor"], time=people["other_doctor"].times[0])
    response = await client.post("/appointments/", json=body, headers=people["owner"].headers)
    assert (response.status_code, set(response.json())) == (400, {"time"})


@pytest.mark.parametrize("missing", ["doctor", "time", "appointment_type"])
async def test_create_requires_doctor_time_and_type(client, people, missing):
    body = booking(people["doctor"])
    del body[missing]
    response = await client.post("/appointments/", json=body, headers=people["owner"].headers)
    assert (response.status_code, response.json()) == (400, {missing: ["This field is required."]})


async def test_cancel_true_on_create_books_a_cancelled_appointment(client, people):
    body = await book_over_http(client, people["owner"], people["doctor"], cancel=True)
    assert (body["cancel"], body["appointment_status"]) == (True, "Pendding")


@pytest.mark.parametrize("status", ["Pendding", "Pending"])
async def test_create_accepts_the_starting_status(client, people, status):
    body = await book_over_http(client, people["owner"], people["doctor"], appointment_status=status)
    assert body["appointment_status"] == "Pendding"


async def test_create_refuses_a_later_status_with_403(client, people):
    response = await client.post("/appointments/", json=booking(people["doctor"], appointment_status="Runing"),
                                 headers=people["owner"].headers)
    assert response.status_code == 403 and set(response.json()) == {"detail"}


# --- read and update -------------------------------------------------------------------------------

@pytest.mark.parametrize("slash", ["/", ""])
async def test_every_method_works_with_and_without_the_trailing_slash(client, people, slash):
    owner, doctor = people["owner"], people["doctor"]
    assert (await client.get(f"/appointments{slash}", headers=owner.headers)).status_code == 200
    created = await client.post(f"/appointments{slash}", json=booking(doctor), headers=owner.headers)
    assert created.status_code == 201
    path = f"/appointments/{created.json()['id']}{slash}"
    assert (await client.get(path, headers=owner.headers)).status_code == 200
    assert (await client.put(path, json=booking(doctor, symptoms="a"), headers=owner.headers)).status_code == 200
    assert (await client.patch(path, json={"symptoms": "b"}, headers=owner.headers)).status_code == 200
    assert (await client.delete(path, headers=owner.headers)).status_code == 204


async def test_get_answers_the_same_shape(client, people):
    created = await book_over_http(client, people["owner"], people["doctor"])
    response = await client.get(f"/appointments/{created['id']}/", headers=people["doctor"].headers)
    assert list(response.json()) == FIELDS and response.json() == created


async def test_the_patient_reschedules_revises_and_cancels(client, people):
    owner, doctor = people["owner"], people["doctor"]
    created = await book_over_http(client, owner, doctor)
    path = f"/appointments/{created['id']}/"
    put = await client.put(path, json=booking(doctor, 2, symptoms="fever", appointment_type="Offline"),
                           headers=owner.headers)
    assert put.status_code == 200
    assert {k: put.json()[k] for k in ("time", "symptoms", "appointment_type")} == {
        "time": doctor.times[2], "symptoms": "fever", "appointment_type": "Offline"}
    cancelled = await client.patch(path, data={"cancel": "true"}, headers=owner.headers)
    assert cancelled.json()["cancel"] is True
    reopened = await client.patch(path, json={"cancel": False}, headers=owner.headers)
    assert (reopened.status_code, set(reopened.json())) == (400, {"cancel"})


async def test_the_doctor_starts_and_completes(client, people):
    created = await book_over_http(client, people["owner"], people["doctor"])
    path = f"/appointments/{created['id']}/"
    doctor = people["doctor"].headers
    running = await client.patch(path, json={"appointment_status": "Running"}, headers=doctor)
    assert running.json()["appointment_status"] == "Runing"
    completed = await client.patch(path, json={"appointment_status": "Complated"}, headers=doctor)
    assert completed.json()["appointment_status"] == "Complated"
    back = await client.patch(path, json={"appointment_status": "Pendding"}, headers=doctor)
    assert (back.status_code, set(back.json())) == (400, {"appointment_status"})


async def test_the_patient_cannot_touch_the_status(client, people):
    owner = people["owner"]
    created = await book_over_http(client, owner, people["doctor"])
    path = f"/appointments/{created['id']}/"
    response = await client.patch(path, json={"appointment_status": "Runing", "symptoms": "sneaky"},
                                  headers=owner.headers)
    assert (response.status_code, set(response.json())) == (403, {"detail"})
    assert await admin_view(client, people, created["id"]) == created
    # Sending the status it already has is no change, so a PUT of what was read is fine.
    same = await client.put(path, json={**booking(people["doctor"]), "appointment_status": "Pendding"},
                            headers=owner.headers)
    assert same.status_code == 200


async def test_a_cancelled_appointment_cannot_start(client, people):
    created = await book_over_http(client, people["owner"], people["doctor"], cancel=True)
    response = await client.patch(f"/appointments/{created['id']}/", json={"appointment_status": "Runing"},
                                  headers=people["doctor"].headers)
    assert (response.status_code, set(response.json())) == (400, {"appointment_status"})
    assert (await admin_view(client, people, created["id"]))["appointment_status"] == "Pendding"


async def test_a_completed_appointment_cannot_be_cancelled(client, people):
    created = await book_over_http(client, people["owner"], people["doctor"])
    path = f"/appointments/{created['id']}/"
    for status in ("Runing", "Complated"):
        await client.patch(path, json={"appointment_status": status}, headers=people["doctor"].headers)
    response = await client.patch(path, json={"cancel": True}, headers=people["owner"].headers)
    assert (response.status_code, set(response.json())) == (400, {"cancel"})


async def test_the_doctor_cannot_be_changed_but_may_be_repeated(client, people):
    owner, doctor, other = people["owner"], people["doctor"], people["other_doctor"]
    created = await book_over_http(client, owner, doctor)
    path = f"/appointments/{created['id']}/"
    moved = await client.patch(path, json={"doctor": other.doctor_id}, headers=owner.headers)
    assert (moved.status_code, moved.json()) == (400, {"doctor": ["The doctor of an appointment cannot be changed."]})
    put = await client.put(path, json=booking(other, time=doctor.times[0]), headers=people["admin"].headers)
    assert put.status_code == 400
    assert (await client.patch(path, json={"doctor": doctor.doctor_id}, headers=owner.headers)).status_code == 200


async def test_put_needs_the_whole_appointment(client, people):
    created = await book_over_http(client, people["owner"], people["doctor"])
    response = await client.put(f"/appointments/{created['id']}/", json={"symptoms": "x"},
                                headers=people["owner"].headers)
    assert response.status_code == 400 and set(response.json()) <= {"doctor", "time", "appointment_type"}


async def test_rescheduling_to_a_time_the_doctor_does_not_offer_is_a_400_on_time(client, people):
    created = await book_over_http(client, people["owner"], people["doctor"])
    response = await client.patch(f"/appointments/{created['id']}/", json={"time": people["other_doctor"].times[0]},
                                  headers=people["owner"].headers)
    assert (response.status_code, set(response.json())) == (400, {"time"})


# --- delete, unknown ids, anonymous ----------------------------------------------------------------

async def test_delete_answers_204_with_no_body(client, people):
    created = await book_over_http(client, people["owner"], people["doctor"])
    response = await client.delete(f"/appointments/{created['id']}/", headers=people["owner"].headers)
    assert (response.status_code, response.content) == (204, b"")
    assert (await client.get(f"/appointments/{created['id']}/", headers=people["admin"].headers)).status_code == 404


@pytest.mark.parametrize("path", ["/appointments/0/", "/appointments/-3/", "/appointments/987654/",
                                  f"/appointments/{2**31}/", f"/appointments/{10**30}/", "/appointments/x/"])
async def test_unknown_ids_are_404(client, people, path):
    # A valid body: an invalid one is refused (400) before any lookup, whether the id exists or not.
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, path, json=booking(people["doctor"]), headers=people["admin"].headers)
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."}), (method, path)


async def test_anonymous_is_401_everywhere(client, people):
    created = await book_over_http(client, people["owner"], people["doctor"])
    item = f"/appointments/{created['id']}/"
    for method, path in [("GET", "/appointments/"), ("POST", "/appointments/"), ("GET", item), ("PUT", item),
                         ("PATCH", item), ("DELETE", item)]:
        response = await client.request(method, path, json=booking(people["doctor"]))
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert await admin_view(client, people, created["id"]) == created


async def test_list_is_paginated_and_scoped(client, people):
    owner, other = people["owner"], people["other_patient"]
    mine = [await book_over_http(client, owner, people["doctor"], i) for i in range(3)]
    await book_over_http(client, other, people["other_doctor"])
    page = (await client.get("/appointments/?limits=2", headers=owner.headers)).json()
    assert page["count"] == 3 and page["results"] == mine[:2] and page["next"].endswith("?limits=2&page=2")
    second = (await client.get(page["next"], headers=owner.headers)).json()
    assert second["results"] == mine[2:] and second["next"] is None
