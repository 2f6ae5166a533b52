"""Dated scheduling over HTTP (SCHEDULING.md), on SQLite and PostgreSQL: every endpoint, its bodies,
the trailing slash, the DRF-shaped errors, and New York's next DST days."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.care_http import Party, http_cast
from tests.support.scheduling import doctor_over_http, next_monday_at


@pytest.fixture
async def people(client, sql_settings) -> dict[str, Party]:
    cast = await http_cast(client, sql_settings)
    cast["scheduled"] = await doctor_over_http(client, sql_settings)
    return cast


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def set_week(client, doctor: Party, **fields) -> dict:
    body = {"timezone": "UTC", "slot_minutes": 30, "horizon_days": 730,
            "rules": [{"weekday": day, "time": time} for day in range(7) for time in doctor.times], **fields}
    response = await client.put(f"/doctors/{doctor.doctor_id}/schedule/", json=body, headers=doctor.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def book(client, patient: Party, doctor: Party, start: datetime, **fields):
    return await client.post("/appointments/", json={"doctor": doctor.doctor_id, "start": z(start),
                                                     "appointment_type": "Online", **fields},
                             headers=patient.headers)


async def test_schedule_get_and_put(client, people):
    doctor = people["scheduled"]
    path = f"/doctors/{doctor.doctor_id}/schedule/"
    default = await client.get(path)
    assert (default.status_code, default.json()) == (200, {
        "timezone": "UTC", "slot_minutes": 30, "min_notice_minutes": 0, "horizon_days": 90, "rules": []})
    put = await set_week(client, doctor, timezone="America/New_York", min_notice_minutes=60)
    assert put["timezone"] == "America/New_York" and len(put["rules"]) == 14
    assert (await client.get(path.rstrip("/"))).json() == put
    assert (await client.put(path, json={}, headers=people["other_doctor"].headers)).status_code == 403
    assert (await client.put(path, json={})).status_code == 401
    assert (await client.put(path, json={}, headers=people["admin"].headers)).status_code == 200
    assert (await client.get("/doctors/987654/schedule/")).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"timezone": "Mars/Base"}, "timezone"), ({"slot_minutes": 4}, "slot_minutes"),
    ({"min_notice_minutes": 43201}, "min_notice_minutes"), ({"horizon_days": 0}, "horizon_days"),
    ({"rules": [{"weekday": 7, "time": 1}]}, "rules"), ({"rules": [{"weekday": 0, "time": 987654}]}, "rules"),
])
async def test_a_bad_schedule_is_a_400_naming_the_field(client, people, body, field):
    doctor = people["scheduled"]
    response = await client.put(f"/doctors/{doctor.doctor_id}/schedule/", json=body, headers=doctor.headers)
    assert response.status_code == 400 and field in response.json(), response.text


async def test_a_rule_must_name_one_of_the_doctors_windowed_times(client, people):
    doctor = people["doctor"]  # its times are labelled "Slot n": no window
    response = await client.put(f"/doctors/{doctor.doctor_id}/schedule/",
                                json={"rules": [{"weekday": 0, "time": doctor.times[0]}]}, headers=doctor.headers)
    assert response.status_code == 400 and "rules" in response.json()


async def test_exceptions_over_http(client, people):
    doctor = people["scheduled"]
    await set_week(client, doctor)
    monday = next_monday_at(0)
    path = f"/doctors/{doctor.doctor_id}/schedule/exceptions/"
    created = await client.post(path, json={"date": monday.date().isoformat(),
                                            "windows": [{"start": "13:00", "end": "14:00"}]}, headers=doctor.headers)
    assert created.status_code == 201, created.text
    assert created.json() == {"id": created.json()["id"], "date": monday.date().isoformat(),
                              "windows": [{"start": "13:00", "end": "14:00"}]}
    again = await client.post(path, json={"date": monday.date().isoformat()}, headers=doctor.headers)
    assert (again.status_code, list(again.json())) == (400, ["date"])
    assert (await client.post(path, json={"date": "2027-01-04"}, headers=people["owner"].headers)).status_code == 403
    assert [e["id"] for e in (await client.get(path.rstrip("/"))).json()] == [created.json()["id"]]
    day = monday.date().isoformat()
    slots = (await client.get(f"/doctors/{doctor.doctor_id}/slots/", params={"from": day, "to": day})).json()
    assert [(s["start"], s["time"]) for s in slots] == [(z(monday.replace(hour=13)), None),
                                                         (z(monday.replace(hour=13, minute=30)), None)]
    item = f"{path}{created.json()['id']}/"
    assert (await client.delete(item, headers=doctor.headers)).status_code == 204
    assert (await client.delete(item, headers=doctor.headers)).status_code == 404


async def test_slots_over_http(client, people):
    doctor = people["scheduled"]
    await set_week(client, doctor)
    monday = next_monday_at(9)
    day = monday.date().isoformat()
    assert (await book(client, people["owner"], doctor, monday)).status_code == 201
    response = await client.get(f"/doctors/{doctor.doctor_id}/slots", params={"from": day, "to": day})
    assert response.status_code == 200
    slots = response.json()
    assert len(slots) == 12
    assert slots[0] == {"start": z(monday), "end": z(monday + timedelta(minutes=30)), "status": "busy",
                        "time": doctor.times[0]}
    assert {s["status"] for s in slots[1:]} == {"free"}


async def test_a_listing_answered_again_never_hides_a_booking_committed_since(client, people):
    """The worker reuses an unchanged listing's bytes; a booking, a cancel, a new exception each show
    in the very next GET, with the same bytes as a listing made afresh."""
    doctor = people["scheduled"]
    await set_week(client, doctor)
    monday = next_monday_at(9)
    path, params = f"/doctors/{doctor.doctor_id}/slots/", {"from": monday.date().isoformat(),
                                                             "to": (monday + timedelta(days=6)).date().isoformat()}
    first = await client.get(path, params=params)
    again = await client.get(path, params=params)
    assert (first.status_code, again.content, first.headers["content-type"]) == (200, first.content,
                                                                               "application/json")
    booked = await book(client, people["owner"], doctor, monday + timedelta(hours=1))
    assert booked.status_code == 201
    after = (await client.get(path, params=params)).json()
    assert [s["start"] for s in after if s["status"] == "busy"] == [z(monday + timedelta(hours=1))]
    cancel = await client.post(f"/appointments/{booked.json()['id']}/cancel/", json={}, headers=people["owner"].headers)
    assert cancel.status_code == 200
    assert (await client.get(path, params=params)).content == first.content
    exception = await client.post(f"/doctors/{doctor.doctor_id}/schedule/exceptions/", headers=doctor.headers,
                                  json={"date": monday.date().isoformat(), "windows": []})
    assert exception.status_code == 201
    assert len((await client.get(path, params=params)).json()) == len(first.json()) - 12


@pytest.mark.parametrize("params", [{}, {"from": "2027-01-04"}, {"from": "x", "to": "2027-01-04"},
                                    {"from": "2027-01-05", "to": "2027-01-04"},
                                    {"from": "2027-01-01", "to": "2027-02-01"}])
async def test_a_bad_slot_range_is_a_400(client, people, params):
    response = await client.get(f"/doctors/{people['scheduled'].doctor_id}/slots/", params=params)
    assert response.status_code == 400 and set(response.json()) <= {"from", "to"}, response.text


@pytest.mark.parametrize(("day", "count"), [("2027-03-14", 3), ("2027-11-07", 5)])
async def test_new_yorks_next_dst_days(client, people, sql_settings, day, count):
    night = await doctor_over_http(client, sql_settings, ("00:00-04:00",))
    await set_week(client, night, timezone="America/New_York", slot_minutes=60)
    slots = (await client.get(f"/doctors/{night.doctor_id}/slots/", params={"from": day, "to": day})).json()
    assert len(slots) == count
    for slot in slots:
        start = datetime.fromisoformat(slot["start"].replace("Z", "+00:00"))
        assert datetime.fromisoformat(slot["end"].replace("Z", "+00:00")) - start == timedelta(hours=1)


async def test_dated_booking_over_http(client, people):
    doctor, owner = people["scheduled"], people["owner"]
    await set_week(client, doctor)
    monday = next_monday_at(10)
    response = await book(client, owner, doctor, monday, symptoms="cough")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["start"], body["end"], body["status"], body["time"], body["appointment_status"]) == (
        z(monday), z(monday + timedelta(minutes=30)), "booked", doctor.times[0], "Pendding")
    taken = await book(client, people["other_patient"], doctor, monday)
    assert (taken.status_code, list(taken.json())) == (409, ["start"])
    form = await client.post("/appointments/", data={"doctor": str(doctor.doctor_id), "appointment_type": "Online",
                                                     "start": z(monday + timedelta(minutes=30))},
                             headers=people["other_patient"].headers)
    assert form.status_code == 201, form.text
    listed = (await client.get("/appointments/", headers=owner.headers)).json()
    assert [item["start"] for item in listed["results"]] == [z(monday)]


@pytest.mark.parametrize("start", ["2030-01-07T10:10:00Z", "2030-01-07T10:00:00", "yesterday"])
async def test_a_start_that_is_no_slot_is_a_400(client, people, start):
    doctor = people["scheduled"]
    await set_week(client, doctor)
    response = await client.post("/appointments/", json={"doctor": doctor.doctor_id, "start": start,
                                                         "appointment_type": "Online"},
                                 headers=people["owner"].headers)
    assert (response.status_code, list(response.json())) == (400, ["start"]), response.text


async def test_status_cancel_and_reschedule_over_http(client, people):
    doctor, owner = people["scheduled"], people["owner"]
    await set_week(client, doctor)
    monday = next_monday_at(10)
    first = (await book(client, owner, doctor, monday)).json()
    item = f"/appointments/{first['id']}"
    assert (await client.post(f"{item}/status/", json={"status": "arrived"}, headers=owner.headers)).status_code == 403
    assert (await client.post(f"{item}/status/", json={"status": "arrived"},
                              headers=people["other_patient"].headers)).status_code == 404
    bad = await client.post(f"{item}/status/", json={"status": "fulfilled"}, headers=doctor.headers)
    assert (bad.status_code, list(bad.json())) == (400, ["status"])
    moved = await client.post(f"{item}/status", json={"status": "arrived"}, headers=doctor.headers)
    assert (moved.status_code, moved.json()["status"]) == (200, "arrived")
    rescheduled = await client.post(f"{item}/reschedule/", json={"start": z(monday + timedelta(hours=4))},
                                    headers=owner.headers)
    assert rescheduled.status_code == 201, rescheduled.text
    new = rescheduled.json()
    assert (new["replaces"], new["status"], new["start"]) == (first["id"], "booked", z(monday + timedelta(hours=4)))
    old = (await client.get(f"{item}/", headers=owner.headers)).json()
    assert (old["status"], old["cancel"], old["replaced_by"], old["cancelled_by"]) == (
        "cancelled", True, new["id"], owner.user_id)
    cancelled = await client.post(f"/appointments/{new['id']}/cancel/", json={"reason": "pat-mv", "note": "moved"},
                                  headers=owner.headers)
    assert (cancelled.status_code, cancelled.json()["cancellation_reason"]) == (200, "pat-mv")
    again = await client.post(f"/appointments/{new['id']}/cancel/", headers=owner.headers)
    assert again.status_code == 400
    unknown_reason = await client.post(f"{item}/cancel/", json={"reason": "bored"}, headers=owner.headers)
    assert unknown_reason.status_code == 400


async def test_the_guides_write_of_time_on_a_dated_appointment_is_a_400(client, people):
    doctor, owner = people["scheduled"], people["owner"]
    await set_week(client, doctor)
    created = (await book(client, owner, doctor, next_monday_at(11))).json()
    response = await client.patch(f"/appointments/{created['id']}/", json={"time": doctor.times[1]},
                                  headers=owner.headers)
    assert (response.status_code, list(response.json())) == (400, ["time"])


# --- Idempotency-Key (SCHEDULING.md section 9) ----------------------------------------------------------

async def test_a_repeated_key_replays_the_first_answer_and_books_once(client, people):
    doctor, owner = people["scheduled"], people["owner"]
    await set_week(client, doctor)
    body = {"doctor": doctor.doctor_id, "start": z(next_monday_at(10)), "appointment_type": "Online"}
    headers = {**owner.headers, "Idempotency-Key": "booking-1"}
    first = await client.post("/appointments/", json=body, headers=headers)
    again = await client.post("/appointments", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    listed = (await client.get("/appointments/", headers=owner.headers)).json()
    assert listed["count"] == 1
    other = await client.post("/appointments/", json={**body, "symptoms": "x"}, headers=headers)
    assert other.status_code == 422 and "detail" in other.json()
    # The key is the caller's own: another patient's same key is another request.
    theirs = await client.post("/appointments/", json=body, headers={**people["other_patient"].headers,
                                                                      "Idempotency-Key": "booking-1"})
    assert theirs.status_code == 409


async def test_a_409_is_kept_and_replayed_but_a_400_is_not(client, people):
    doctor, owner, other = people["scheduled"], people["owner"], people["other_patient"]
    await set_week(client, doctor)
    start = next_monday_at(11)
    assert (await book(client, owner, doctor, start)).status_code == 201
    headers = {**other.headers, "Idempotency-Key": "k2"}
    body = {"doctor": doctor.doctor_id, "start": z(start), "appointment_type": "Online"}
    taken = await client.post("/appointments/", json=body, headers=headers)
    replayed = await client.post("/appointments/", json=body, headers=headers)
    assert (taken.status_code, replayed.status_code, replayed.headers.get("Idempotent-Replayed")) == (409, 409, "true")
    bad = {**body, "start": "nonsense"}
    headers = {**other.headers, "Idempotency-Key": "k3"}
    answers = [(await client.post("/appointments/", json=bad, headers=headers)).status_code for _ in range(2)]
    assert answers == [400, 400]


@pytest.mark.parametrize("key", ["", "a" * 256, "with space"])
async def test_a_bad_key_is_a_400(client, people, key):
    doctor = people["scheduled"]
    await set_week(client, doctor)
    response = await client.post("/appointments/", json={"doctor": doctor.doctor_id, "start": z(next_monday_at(9)),
                                                         "appointment_type": "Online"},
                                 headers={**people["owner"].headers, "Idempotency-Key": key})
    assert response.status_code == 400, response.text


async def test_a_legacy_booking_cancel_and_reschedule_take_a_key_too(client, people):
    doctor, owner = people["scheduled"], people["owner"]
    await set_week(client, doctor)
    legacy = {"doctor": doctor.doctor_id, "time": doctor.times[0], "appointment_type": "Online"}
    headers = {**owner.headers, "Idempotency-Key": "legacy"}
    first, again = [await client.post("/appointments/", json=legacy, headers=headers) for _ in range(2)]
    assert (first.status_code, again.json()) == (201, first.json())
    item = f"/appointments/{first.json()['id']}"
    moved = [await client.post(f"{item}/reschedule/", json={"start": z(next_monday_at(14))},
                                headers={**owner.headers, "Idempotency-Key": "move"}) for _ in range(2)]
    assert [r.status_code for r in moved] == [201, 201] and moved[0].json() == moved[1].json()
    cancelled = [await client.post(f"/appointments/{moved[0].json()['id']}/cancel/", json={},
                                   headers={**owner.headers, "Idempotency-Key": "stop"}) for _ in range(2)]
    assert [r.status_code for r in cancelled] == [200, 200]
    assert cancelled[1].headers["Idempotent-Replayed"] == "true"


# --- the list's status, from and to (SCHEDULING.md section 5) ---------------------------------------

async def test_the_list_filters_by_status_and_by_the_date_of_start(client, people):
    doctor, owner, other = people["scheduled"], people["owner"], people["other_patient"]
    await set_week(client, doctor)
    legacy = await client.post("/appointments/", json={"doctor": doctor.doctor_id, "time": doctor.times[0],
                                                       "appointment_type": "Online"}, headers=owner.headers)
    monday = next_monday_at(9)
    tuesday = monday + timedelta(days=1, hours=5)
    ids = {"legacy": legacy.json()["id"]}
    for name, start in (("monday", monday), ("tuesday", tuesday)):
        booked = await book(client, owner, doctor, start)
        assert booked.status_code == 201, booked.text
        ids[name] = booked.json()["id"]
    theirs = await book(client, other, doctor, monday + timedelta(hours=1))
    ids["theirs"] = theirs.json()["id"]
    assert (await client.post(f"/appointments/{ids['tuesday']}/cancel/", json={},
                              headers=owner.headers)).status_code == 200

    async def listed(who: Party, **params) -> list[int]:
        response = await client.get("/appointments/", params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        assert response.json()["count"] == len(response.json()["results"])
        return sorted(item["id"] for item in response.json()["results"])

    day, next_day = monday.date().isoformat(), tuesday.date().isoformat()
    assert await listed(owner) == sorted(ids[n] for n in ("legacy", "monday", "tuesday"))
    assert await listed(owner, status="proposed") == [ids["legacy"]]
    assert await listed(owner, status="booked") == [ids["monday"]]
    assert await listed(owner, status="cancelled") == [ids["tuesday"]]
    # A date bound leaves the undated appointments out: they have no start.
    assert await listed(owner, **{"from": day}) == [ids["monday"], ids["tuesday"]]
    assert await listed(owner, **{"from": day, "to": day}) == [ids["monday"]]
    assert await listed(owner, to=day) == [ids["monday"]]
    assert await listed(owner, **{"from": next_day, "to": next_day, "status": "cancelled"}) == [ids["tuesday"]]
    # The permission rules stay: the doctor sees both patients', each patient their own.
    assert await listed(doctor, **{"from": day, "to": day}) == sorted([ids["monday"], ids["theirs"]])
    assert await listed(other, **{"from": day, "to": day}) == [ids["theirs"]]
    assert await listed(people["admin"], status="booked", doctor_id=str(doctor.doctor_id)) == sorted(
        [ids["monday"], ids["theirs"]])
    assert (await client.get("/appointments/", params={"status": "booked"})).status_code == 401


@pytest.mark.parametrize(("params", "fields"), [
    ({"status": "done"}, {"status"}), ({"status": ""}, {"status"}), ({"status": "Pendding"}, {"status"}),
    ({"from": "2027-02-30"}, {"from"}), ({"to": "04/01/2027"}, {"to"}), ({"from": ""}, {"from"}),
    ({"from": "2027-01-05", "to": "2027-01-04"}, {"to"}),
    ({"status": "x", "from": "y", "to": "z"}, {"status", "from", "to"}),
])
async def test_a_bad_list_filter_is_a_400_naming_it(client, people, params, fields):
    response = await client.get("/appointments/", params=params, headers=people["owner"].headers)
    assert (response.status_code, set(response.json())) == (400, fields), response.text
    assert all(isinstance(messages, list) for messages in response.json().values())


# --- the guide's cancel: true is the dated cancel (SCHEDULING.md section 6) --------------------------

GUIDE_FIELDS = ("id", "patient", "doctor", "appointment_type", "appointment_status", "symptoms", "time", "cancel")


@pytest.mark.parametrize("how", ["patch", "put", "patch as the doctor", "booked cancelled", "dated patch"])
async def test_the_guides_cancel_sets_what_the_dated_cancel_sets(client, people, how):
    owner, doctor = people["owner"], people["doctor"]
    by = doctor if how.endswith("the doctor") else owner
    legacy = {"doctor": doctor.doctor_id, "time": doctor.times[0], "appointment_type": "Online", "symptoms": "cough"}
    before = datetime.now(UTC).replace(microsecond=0)
    if how == "dated patch":
        await set_week(client, people["scheduled"])
        created = await book(client, owner, people["scheduled"], next_monday_at(9))
    else:
        created = await client.post("/appointments/", json={**legacy, "cancel": how == "booked cancelled"},
                                    headers=owner.headers)
    assert created.status_code == 201, created.text
    path = f"/appointments/{created.json()['id']}/"
    if how == "put":
        changed = await client.put(path, json={**legacy, "cancel": True}, headers=by.headers)
    elif how == "booked cancelled":
        changed = await client.get(path, headers=by.headers)
    else:
        changed = await client.patch(path, json={"cancel": True}, headers=by.headers)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    # The guide's fields as they always were; their order and bytes first in the answer.
    assert list(body)[:len(GUIDE_FIELDS)] == list(GUIDE_FIELDS)
    assert {name: body[name] for name in GUIDE_FIELDS} == {
        **{name: created.json()[name] for name in GUIDE_FIELDS}, "cancel": True}
    assert (body["status"], body["cancelled_by"], body["cancellation_reason"]) == (
        "cancelled", by.user_id, "prov" if by is doctor else "pat")
    cancelled_at = datetime.fromisoformat(body["cancelled_at"].replace("Z", "+00:00"))
    assert before <= cancelled_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert (await client.get(path, headers=owner.headers)).json() == body


# --- forms: a list of objects is JSON in a form field (body.py) --------------------------------------

@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
@pytest.mark.parametrize("shape", ["one array", "repeated objects"])
async def test_a_schedule_and_an_exception_in_a_form(client, people, encoding, shape):
    doctor = people["scheduled"]
    rules = [{"weekday": day, "time": doctor.times[0]} for day in (0, 1)]
    rule_values = [json.dumps(rules)] if shape == "one array" else [json.dumps(rule) for rule in rules]
    fields = {"timezone": "America/New_York", "slot_minutes": "15", "rules": rule_values}

    async def send(method: str, path: str, form: dict):
        if encoding == "urlencoded":
            return await client.request(method, path, data=form, headers=doctor.headers)
        parts = [(name, (None, value)) for name, values in form.items()
                 for value in (values if isinstance(values, list) else [values])]
        return await client.request(method, path, files=parts, headers=doctor.headers)

    put = await send("PUT", f"/doctors/{doctor.doctor_id}/schedule/", fields)
    assert put.status_code == 200, put.text
    assert (put.json()["timezone"], put.json()["slot_minutes"], put.json()["rules"]) == (
        "America/New_York", 15, rules)
    windows = [{"start": "13:00", "end": "14:00"}, {"start": "15:00", "end": "16:00"}]
    window_values = [json.dumps(windows)] if shape == "one array" else [json.dumps(w) for w in windows]
    path = f"/doctors/{doctor.doctor_id}/schedule/exceptions/"
    created = await send("POST", path, {"date": "2030-01-07", "windows": window_values})
    assert (created.status_code, created.json()["windows"]) == (201, windows), created.text
    day_off = await send("POST", path, {"date": "2030-01-08", "windows": ""})
    assert (day_off.status_code, day_off.json()["windows"]) == (201, [])


@pytest.mark.parametrize("value", ["weekday=0", "[1, 2]", '{"weekday": 9, "time": 1}', "[" * 40])
async def test_a_form_rule_that_is_not_a_json_object_is_a_400_naming_rules(client, people, value):
    doctor = people["scheduled"]
    path = f"/doctors/{doctor.doctor_id}/schedule/"
    before = (await client.get(path)).json()
    response = await client.put(path, data={"rules": value}, headers=doctor.headers)
    assert (response.status_code, list(response.json())) == (400, ["rules"]), response.text
    assert (await client.get(path)).json() == before
