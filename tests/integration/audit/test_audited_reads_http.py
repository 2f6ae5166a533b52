"""Reads over HTTP are audited (by the use cases, batched): a record read, a list naming exactly the
patients it returned, refused reads; the patient's access log shows them; the answers themselves
are what they were (no audit field leaks onto the wire). SQLite, or PostgreSQL when configured."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.care_http import book_over_http, http_cast

pytestmark = pytest.mark.usefixtures("sql_settings")


@pytest.fixture
async def cast(client, sql_settings):
    return await http_cast(client, sql_settings)


async def events_until(client, admin, predicate, **params) -> list[dict]:
    """The audit events (newest first) once one satisfies ``predicate`` (reads are written within 100 ms)."""
    for _ in range(150):
        response = await client.get("/audit-events/", params={"limits": 1000, **params}, headers=admin.headers)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        if any(predicate(event) for event in results):
            return results
        await asyncio.sleep(0.02)
    raise AssertionError(f"no such event among {results}")


async def test_a_record_read_is_in_the_patient_s_access_log_with_who_read_it(client, cast) -> None:
    owner, doctor = cast["owner"], cast["doctor"]
    booked = await book_over_http(client, owner, doctor)
    assert (await client.get(f"/appointments/{booked['id']}/", headers=doctor.headers)).status_code == 200
    assert (await client.get(f"/patients/{owner.patient_id}/", headers=doctor.headers)).status_code == 200
    path = f"/patients/{owner.patient_id}/access-log/"
    for _ in range(150):
        entries = (await client.get(path, headers=owner.headers)).json()["results"]
        reads = [e for e in entries if e["action"] == "read" and e["user_id"] == doctor.user_id]
        if len(reads) == 2:
            break
        await asyncio.sleep(0.02)
    assert {(e["resource_type"], e["resource_id"], e["role"], e["outcome"]) for e in reads} == {
        ("appointment", booked["id"], "doctor", "success"), ("patient", owner.patient_id, "doctor", "success")}


async def test_a_list_names_exactly_the_patients_on_its_page(client, cast) -> None:
    owner, other, doctor, admin = cast["owner"], cast["other_patient"], cast["doctor"], cast["admin"]
    await book_over_http(client, owner, doctor)
    await book_over_http(client, other, doctor, time_index=1)
    response = await client.get("/appointments/", params={"limits": 1, "doctor_id": doctor.doctor_id},
                                headers=doctor.headers)
    assert response.status_code == 200
    (shown,) = response.json()["results"]
    events = await events_until(client, admin, lambda e: e["action"] == "search" and e["user_id"] == doctor.user_id,
                                action="search")
    (event,) = [e for e in events if e["user_id"] == doctor.user_id]
    assert (event["resource_type"], event["patient_ids"], event["outcome"], event["role"]) == (
        "appointment", [shown["patient"]], "success", "doctor")
    assert event["filters"] == {"doctor": str(doctor.doctor_id)}


async def test_refused_reads_are_audited_with_whose_record_it_was(client, cast) -> None:
    owner, other, doctor, admin = cast["owner"], cast["other_patient"], cast["doctor"], cast["admin"]
    booked = await book_over_http(client, owner, doctor)
    assert (await client.get(f"/appointments/{booked['id']}/", headers=other.headers)).status_code == 404
    assert (await client.get(f"/patients/{owner.patient_id}/", headers=other.headers)).status_code == 404
    assert (await client.get("/contacts/", headers=owner.headers)).status_code == 403
    events = await events_until(client, admin, lambda e: e["resource_type"] == "patient", outcome="not-found",
                                user_id=other.user_id)
    assert {(e["action"], e["resource_type"], e["resource_id"], e["patient_id"]) for e in events} == {
        ("read", "appointment", booked["id"], owner.patient_id), ("read", "patient", owner.patient_id,
                                                                  owner.patient_id)}
    denied = await events_until(client, admin, lambda e: e["resource_type"] == "contact", outcome="denied",
                                user_id=owner.user_id)
    assert [(e["action"], e["patient_ids"]) for e in denied if e["resource_type"] == "contact"] == [("search", [])]


async def test_audited_answers_carry_nothing_of_the_audit(client, cast) -> None:
    owner = cast["owner"]
    profile = await client.get("/api/user/profiles/me/", headers=owner.headers)
    assert profile.status_code == 200 and "patient_id" not in profile.json()
    listed = await client.get("/api/user/profiles/", headers=owner.headers)
    assert listed.status_code == 200 and all("patient_id" not in item for item in listed.json()["results"])


async def test_a_list_s_fhir_audit_event_has_one_patient_entity_per_patient_returned(client, cast) -> None:
    from fhir.resources.R4B.bundle import Bundle  # AuditEvent and Bundle are unchanged from R4 in R4B

    owner, other, doctor, admin = cast["owner"], cast["other_patient"], cast["doctor"], cast["admin"]
    await book_over_http(client, owner, doctor)
    await book_over_http(client, other, doctor, time_index=1)
    assert (await client.get("/appointments/", headers=admin.headers)).status_code == 200
    await events_until(client, admin, lambda e: len(e["patient_ids"]) == 2, action="search")
    response = await client.get("/audit-events/", params={"action": "search", "limits": 1000},
                                headers={**admin.headers, "Accept": "application/fhir+json"})
    bundle = Bundle.model_validate(response.json())
    (search,) = [entry.resource for entry in bundle.entry
                 if len([e for e in entry.resource.entity if e.what.reference]) == 2]
    assert search.action == "R" and search.outcome == "0"
    assert {e.what.reference for e in search.entity if e.what.reference} == {
        f"Patient/{owner.patient_id}", f"Patient/{other.patient_id}"}
