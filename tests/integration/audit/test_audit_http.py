"""GET /audit-events/ (administrators only; JSON or a FHIR R4 Bundle) and GET /patients/{id}/access-log/
(the patient themself and administrators; anyone else 404)."""

from __future__ import annotations

import asyncio

import pytest
from fhir.resources.R4B.bundle import Bundle  # AuditEvent and Bundle are unchanged from R4 in R4B

from tests.support.care_http import book_over_http, http_cast

pytestmark = pytest.mark.usefixtures("sql_settings")


@pytest.fixture
async def cast(client, sql_settings):
    return await http_cast(client, sql_settings)


async def until_listed(client, admin, count: int, **params) -> dict:
    """The list once it holds ``count`` events (refusals and reads are written within 100 ms)."""
    for _ in range(100):
        response = await client.get("/audit-events/", params={"limits": 1000, **params}, headers=admin.headers)
        assert response.status_code == 200, response.text
        if response.json()["count"] >= count:
            return response.json()
        await asyncio.sleep(0.02)
    raise AssertionError(f"fewer than {count} events: {response.json()}")


@pytest.mark.parametrize("name", ["anonymous", "owner", "doctor"])
async def test_only_administrators_list_audit_events(client, cast, name) -> None:
    response = await client.get("/audit-events/", headers=cast[name].headers)
    assert response.status_code == (401 if name == "anonymous" else 403)
    assert "detail" in response.json()


async def test_the_list_filters_and_pages_like_the_other_lists(client, cast) -> None:
    owner, other, admin, doctor = cast["owner"], cast["other_patient"], cast["admin"], cast["doctor"]
    booked = await book_over_http(client, owner, doctor)
    refused = await client.delete(f"/appointments/{booked['id']}/", headers=other.headers)
    assert refused.status_code == 404
    body = await until_listed(client, admin, 1, outcome="not-found")
    (event,) = body["results"]
    assert (event["action"], event["resource_type"], event["resource_id"], event["patient_id"], event["user_id"],
            event["role"]) == ("delete", "appointment", booked["id"], owner.patient_id, other.user_id, "patient")
    created = await until_listed(client, admin, 1, patient_id=owner.patient_id, action="create",
                                 user_id=owner.user_id)
    assert {e["resource_type"] for e in created["results"]} == {"user", "appointment"}
    everything = await until_listed(client, admin, 1)
    times = [e["recorded"] for e in everything["results"]]
    assert times == sorted(times, reverse=True)
    first = await client.get("/audit-events/", params={"limits": 2}, headers=admin.headers)
    assert first.json()["next"].endswith("page=2") and len(first.json()["results"]) == 2
    newest = everything["results"][0]["recorded"]
    window = await client.get("/audit-events/", params={"from": newest, "limits": 1000}, headers=admin.headers)
    assert newest in {e["recorded"] for e in window.json()["results"]}
    before = await client.get("/audit-events/", params={"to": newest, "limits": 1000}, headers=admin.headers)
    assert newest not in {e["recorded"] for e in before.json()["results"]}


@pytest.mark.parametrize(("params", "field"), [({"patient_id": "x"}, "patient_id"), ({"action": "peek"}, "action"),
                                               ({"outcome": "maybe"}, "outcome"), ({"from": "yesterday"}, "from"),
                                               ({"to": "0001-01-01T00:00:00+01:00"}, "to"),
                                               ({"to": ""}, "to"), ({"limits": "ten"}, "limits")])
async def test_bad_filters_are_refused_by_name(client, cast, params, field) -> None:
    response = await client.get("/audit-events/", params=params, headers=cast["admin"].headers)
    assert response.status_code == 400 and field in response.json(), response.text


async def test_what_rfc_3339_allows_is_a_time_and_ids_no_record_can_have_match_nothing(client, cast) -> None:
    admin = cast["admin"].headers
    for moment in ("2026-03-01t08:00:00.1234567891z", "2016-12-31T23:59:60+00:00", "2026-03-01"):
        assert (await client.get("/audit-events/", params={"from": moment}, headers=admin)).status_code == 200
    for name in ("patient_id", "user_id"):
        response = await client.get("/audit-events/", params={name: "-2053518370003167733612544"}, headers=admin)
        assert (response.status_code, response.json()["count"]) == (200, 0)


async def test_fhir_clients_get_a_valid_r4_bundle_of_audit_events(client, cast) -> None:
    owner, admin, doctor = cast["owner"], cast["admin"], cast["doctor"]
    await book_over_http(client, owner, doctor)
    await client.post("/api/user/login/", json={"username": owner.username, "password": "nope-Nope-1"})
    await until_listed(client, admin, 1, action="login", outcome="denied")
    response = await client.get("/audit-events/", params={"limits": 1000},
                                headers={**admin.headers, "Accept": "application/fhir+json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(response.json())  # raises on anything the R4 structure does not allow
    assert bundle.type == "searchset" and bundle.total == len(bundle.entry)
    resources = [entry.resource for entry in bundle.entry]
    assert {r.__resource_type__ for r in resources} == {"AuditEvent"}
    by_action = {(r.action, r.outcome): r for r in resources}
    booking = by_action[("C", "0")]
    assert f"Patient/{owner.patient_id}" in {e.what.reference for e in booking.entity if e.what.reference}
    failed_login = by_action[("E", "4")]
    assert failed_login.type.code == "110114" and failed_login.agent[0].altId == owner.username


async def test_a_patient_reads_their_own_access_log_and_nobody_else_but_admins_can(client, cast) -> None:
    owner, other, admin, doctor = cast["owner"], cast["other_patient"], cast["admin"], cast["doctor"]
    booked = await book_over_http(client, owner, doctor)
    await client.delete(f"/appointments/{booked['id']}/", headers=other.headers)  # a stranger's attempt
    path = f"/patients/{owner.patient_id}/access-log/"
    for _ in range(100):
        own = await client.get(path, headers=owner.headers)
        assert own.status_code == 200, own.text
        if any(e["outcome"] == "not-found" for e in own.json()["results"]):
            break
        await asyncio.sleep(0.02)
    entries = own.json()["results"]
    assert {"id", "recorded", "user_id", "role", "action", "resource_type", "resource_id", "outcome"} == set(entries[0])
    attempt = next(e for e in entries if e["outcome"] == "not-found")
    assert (attempt["user_id"], attempt["role"], attempt["resource_id"]) == (other.user_id, "patient", booked["id"])
    assert (await client.get(path, headers=admin.headers)).status_code == 200
    for name in ("other_patient", "doctor"):
        assert (await client.get(path, headers=cast[name].headers)).status_code == 404
    assert (await client.get(path, headers=cast["anonymous"].headers)).status_code == 401
    assert (await client.get("/patients/999999/access-log/", headers=admin.headers)).status_code == 404
