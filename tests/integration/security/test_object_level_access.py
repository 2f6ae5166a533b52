"""Walking ids and calling admin functions as the wrong person (OWASP API1, API3 and API5:2023; ASVS V4.1-4.2).

Everyone of the permission cast exists, the owner has an appointment with ``doctor`` and a review
of them; then another patient and an unrelated doctor (and the treating doctor, for what is not
theirs) try every method on ids 1..N of every ``{id}`` route. DESIGN.md §3 says what each may do;
anything else must not answer 2xx, and the owner's data must be unchanged afterwards.
"""

from __future__ import annotations

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.support.care_http import Party, book_over_http, http_cast

IDS = range(1, 9)
PUBLIC_READS = ("/doctors/", "/designations/", "/specialisations/", "/available-time/", "/services/", "/reviews/")
ADMIN_CREATES = {
    "/designations/": {"name": "Evil", "slug": "evil"},
    "/specialisations/": {"name": "Evil", "slug": "evil"},
    "/available-time/": {"time": "03:00 AM"},
    "/services/": {"name": "Evil", "description": "x"},
    "/doctors/": {"fee": 1, "designation": [1], "specialisation": [1], "available_time": [1]},
}


async def _world(client: AsyncTestClient, sql_settings) -> tuple[dict[str, Party], dict, dict]:
    people = await http_cast(client, sql_settings)
    owner, doctor = people["owner"], people["doctor"]
    appointment = await book_over_http(client, owner, doctor)
    review = await client.post("/reviews/", json={"doctor": doctor.doctor_id, "rating": 4, "body": "kind"},
                               headers=owner.headers)
    assert review.status_code == 201, review.text
    admin = people["admin"]
    for path, body in ADMIN_CREATES.items():
        if path not in {"/doctors/", "/services/"}:  # doctors exist already; a service needs an image
            created = await client.post(path, json=body, headers=admin.headers)
            assert created.status_code == 201, (path, created.text)
    return people, appointment, review.json()


def _item_routes(client: AsyncTestClient) -> list[str]:
    routes = [route for route in client.app.routes if isinstance(route, HTTPRoute)]
    return sorted(route.path_format.split("{")[0] for route in routes
                  if ":int}" in route.path and route.path.count("{") == 1)


async def _own_ids(client: AsyncTestClient, party: Party) -> dict[str, set[int]]:
    profile = (await client.get("/api/user/profiles/me", headers=party.headers)).json()["id"]
    owned = {"/api/user/profiles/": {profile}, "/patients/": {party.patient_id}}
    if party.doctor_id is not None:
        owned["/doctors/"] = {party.doctor_id}
    return owned


def _may(path: str, method: str, item: int, owned: dict[str, set[int]], cared_for: dict[str, set[int]]) -> bool:
    if method == "GET" and path in PUBLIC_READS:
        return True
    if item in owned.get(path, set()):
        return True
    # The treating doctor reads their patient's record and reads or updates the appointment.
    return item in cared_for.get(path, set()) and (method == "GET" or (path == "/appointments/" and method != "DELETE"))


async def _snapshot(client: AsyncTestClient, admin: Party, owner: Party) -> list:
    paths = ["/patients/", "/appointments/", "/reviews/", "/api/user/profiles/", "/doctors/", "/services/",
             "/designations/", "/specialisations/", "/available-time/"]
    return [(await client.get(path, headers=admin.headers)).json() for path in paths] + [
        (await client.get("/api/user/profiles/me", headers=owner.headers)).json()]


@pytest.mark.parametrize("walker", ["other_patient", "other_doctor", "doctor"])
async def test_walking_ids_never_reaches_what_is_not_yours(client: AsyncTestClient, sql_settings, walker: str) -> None:
    people, appointment, _ = await _world(client, sql_settings)
    party = people[walker]
    owned = await _own_ids(client, party)
    cared_for = {"/patients/": {people["owner"].patient_id}, "/appointments/": {appointment["id"]}} \
        if walker == "doctor" else {}
    before = await _snapshot(client, people["admin"], people["owner"])
    routes = _item_routes(client)
    assert len(routes) >= 10, routes
    breaches = []
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        for path in routes:
            for item in IDS:
                if _may(path, method, item, owned, cared_for):
                    continue
                kwargs = {} if method in {"GET", "DELETE"} else {"json": {}}
                response = await client.request(method, f"{path}{item}/", headers=party.headers, **kwargs)
                if 200 <= response.status_code < 300 or response.status_code >= 500:
                    breaches.append((method, f"{path}{item}/", response.status_code, response.text[:120]))
    assert breaches == []
    assert await _snapshot(client, people["admin"], people["owner"]) == before


@pytest.mark.parametrize("role", ["owner", "doctor"])
@pytest.mark.parametrize("path", list(ADMIN_CREATES))
async def test_admin_only_creates_are_refused_to_patients_and_doctors(
        client: AsyncTestClient, sql_settings, role: str, path: str) -> None:
    people = await http_cast(client, sql_settings)
    body = dict(ADMIN_CREATES[path], user=people[role].user_id) if path == "/doctors/" else ADMIN_CREATES[path]
    response = await client.post(path, json=body, headers=people[role].headers)
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("role", ["owner", "doctor"])
async def test_contact_messages_are_for_admins_only(client: AsyncTestClient, sql_settings, role: str) -> None:
    people = await http_cast(client, sql_settings)
    sent = await client.post("/contacts/", json={"name": "A", "email": "a@example.com", "phone": "0170000",
                                                 "subject": "s", "massage": "m"})
    assert sent.status_code == 201, sent.text
    assert (await client.get("/contacts/", headers=people[role].headers)).status_code == 403
    assert (await client.get(f"/contacts/{sent.json()['id']}/", headers=people[role].headers)).status_code in {403, 404}


async def test_a_patient_cannot_reassign_or_promote_through_extra_fields(client: AsyncTestClient, sql_settings) -> None:
    """Mass assignment (API3:2023): fields a patient may not set are ignored or refused, never applied."""
    people = await _world(client, sql_settings)
    cast, appointment = people[0], people[1]
    owner, other = cast["owner"], cast["other_patient"]
    item = f"/appointments/{appointment['id']}/"
    for body in ({"patient": other.patient_id}, {"doctor": cast["other_doctor"].doctor_id},
                 {"appointment_status": "Runing"}, {"is_staff": True}, {"id": 999}):
        response = await client.patch(item, json=body, headers=owner.headers)
        assert response.status_code in {200, 400, 403}, response.text
    stored = (await client.get(item, headers=owner.headers)).json()
    assert (stored["id"], stored["patient"], stored["doctor"], stored["appointment_status"]) == (
        appointment["id"], owner.patient_id, cast["doctor"].doctor_id, "Pendding")
    me = (await client.get("/api/user/profiles/me", headers=owner.headers)).json()
    response = await client.patch(f"/api/user/profiles/{me['id']}/", headers=owner.headers, json={
        "is_staff": True, "is_superuser": True, "is_active": False, "user": other.user_id, "id": 999})
    assert response.status_code in {200, 400}
    after = (await client.get("/api/user/profiles/me", headers=owner.headers)).json()
    assert after["id"] == me["id"] and after["user"]["id"] == owner.user_id
    assert after["user"]["is_staff"] is False and after["user"]["is_active"] is True
    await client.patch(f"/patients/{owner.patient_id}/", json={"user": other.user_id}, headers=owner.headers)
    assert (await client.get(f"/patients/{owner.patient_id}/", headers=owner.headers)).json()["user"] == owner.username
    registered = await client.post("/api/user/register/", json={
        "username": "sneaky", "email": "s@example.com", "password": "Correct-Horse-Battery-9",
        "confirm_password": "Correct-Horse-Battery-9", "is_staff": True, "is_superuser": True})
    assert registered.status_code == 201 and registered.json()["user"]["is_staff"] is False
