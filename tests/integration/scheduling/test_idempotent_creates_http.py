"""Idempotency-Key on every POST that creates (SCHEDULING.md section 9), on SQLite and PostgreSQL: the
same key and body again answers the first answer (status and body, ``Idempotent-Replayed: true``)
and creates nothing; the same key with another body is a 422. The cases cover every creating POST
the app mounts (``test_every_creating_post_is_covered``)."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from hospital.application.accounts import ChangePasswordCommand
from hospital.bootstrap import actor_for
from hospital.entrypoints.http.app import serve_container
from hospital.entrypoints.http.idempotency import creates
from hospital.entrypoints.http.routes import ROUTE_HANDLERS
from tests.support.actors import unique_username
from tests.support.care_http import Party, book_over_http, http_cast
from tests.support.images import png_bytes
from tests.support.scheduling import doctor_over_http, next_monday_at

_numbers = itertools.count(1)


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
async def people(client, sql_settings) -> dict[str, Party]:
    cast = await http_cast(client, sql_settings)
    cast["scheduled"] = await doctor_over_http(client, sql_settings)
    week = {"timezone": "UTC", "horizon_days": 730,
            "rules": [{"weekday": day, "time": time} for day in range(7) for time in cast["scheduled"].times]}
    response = await client.put(f"/doctors/{cast['scheduled'].doctor_id}/schedule/", json=week,
                                headers=cast["scheduled"].headers)
    assert response.status_code == 200, response.text
    return cast


@dataclass(frozen=True)
class Creation:
    path: str
    body: dict
    other_body: dict
    who: Party
    counted: str | None  # a list (as the admin) whose length the creation grows; None: the path's own
    files: dict | None = None  # sent as multipart, with a fixed boundary: a retry resends the same bytes


Prepare = Callable[[object, dict[str, Party]], Awaitable[Creation]]


def _name(prefix: str) -> str:
    return f"{prefix}{next(_numbers)}x{unique_username()[-6:]}"


async def _register(client, people):
    username = _name("idem")
    body = {"username": username, "email": f"{username}@example.com", "password": "Str0ng-pass-word!",
            "confirm_password": "Str0ng-pass-word!"}
    return Creation("/api/user/register/", body, {**body, "first_name": "Other"}, people["anonymous"], "/patients/")


async def _profile(client, people):
    owner = people["owner"]
    me = (await client.get("/api/user/profiles/me/", headers=owner.headers)).json()
    assert (await client.delete(f"/api/user/profiles/{me['id']}/", headers=owner.headers)).status_code == 204
    return Creation("/api/user/profiles/", {"bio": "a"}, {"bio": "b"}, owner, "/api/user/profiles/")


async def _patient(client, people):
    owner = people["owner"]
    assert (await client.delete(f"/patients/{owner.patient_id}/", headers=owner.headers)).status_code == 204
    return Creation("/patients/", {"phone": "0171"}, {"phone": "0172"}, owner, None)


async def _appointment(client, people):
    doctor = people["doctor"]
    body = {"doctor": doctor.doctor_id, "time": doctor.times[0], "appointment_type": "Online", "symptoms": "cough"}
    return Creation("/appointments/", body, {**body, "symptoms": "fever"}, people["owner"], None)


async def _dated_appointment(client, people):
    doctor = people["scheduled"]
    body = {"doctor": doctor.doctor_id, "start": z(next_monday_at(9)), "appointment_type": "Online"}
    return Creation("/appointments/", body, {**body, "start": z(next_monday_at(10))}, people["owner"], None)


async def _review(client, people):
    await book_over_http(client, people["owner"], people["doctor"])
    body = {"doctor": people["doctor"].doctor_id, "body": "Kind.", "rating": 4}
    return Creation("/reviews/", body, {**body, "rating": 5}, people["owner"], None)


def _taxon(path: str):
    async def prepare(client, people):
        name = _name("Taxon")
        return Creation(path, {"name": name}, {"name": name + "y"}, people["admin"], None)
    return prepare


async def _available_time(client, people):
    return Creation("/available-time/", {"time": "9am-10am"}, {"time": "10am-11am"}, people["admin"], None)


async def _doctor(client, people):
    user_id, admin = people["owner"].user_id, people["admin"].headers
    kinds = {}
    for kind in ("designation", "specialisation"):
        made = await client.post(f"/{kind}s/", json={"name": _name("Kind")}, headers=admin)
        kinds[kind] = [made.json()["id"]]
    body = {"user": user_id, **kinds, "available_time": people["doctor"].times[:1], "fee": 10}
    return Creation("/doctors/", body, {**body, "fee": 11}, people["admin"], None)


async def _service(client, people):
    body = {"name": _name("Service"), "description": "Care."}
    return Creation("/services/", body, {**body, "description": "More care."}, people["admin"], None,
                    files={"image": ("care.png", png_bytes(), "image/png")})


async def _contact(client, people):
    body = {"name": "Ann", "phone": "01711", "massage": "Hello"}
    return Creation("/contacts/", body, {**body, "massage": "Bye"}, people["anonymous"], "/contacts/")


async def _exception(client, people):
    doctor = people["scheduled"]
    day = next_monday_at(0).date()
    body = {"date": day.isoformat(), "windows": []}
    return Creation(f"/doctors/{doctor.doctor_id}/schedule/exceptions/", body,
                    {**body, "date": (day + timedelta(days=1)).isoformat()}, doctor, None)


async def _cancel(client, people):
    booked = await book_over_http(client, people["owner"], people["doctor"])
    return Creation(f"/appointments/{booked['id']}/cancel/", {"reason": "pat"}, {"reason": "pat-crs"},
                    people["owner"], "/appointments/")


async def _reschedule(client, people):
    doctor, owner = people["scheduled"], people["owner"]
    booked = await client.post("/appointments/", json={"doctor": doctor.doctor_id, "start": z(next_monday_at(9)),
                                                       "appointment_type": "Online"}, headers=owner.headers)
    assert booked.status_code == 201, booked.text
    path = f"/appointments/{booked.json()['id']}/reschedule/"
    return Creation(path, {"start": z(next_monday_at(10))}, {"start": z(next_monday_at(11))}, owner,
                    "/appointments/")


CASES: dict[str, Prepare] = {
    "register": _register, "profile": _profile, "patient": _patient, "appointment": _appointment,
    "dated appointment": _dated_appointment, "review": _review, "designation": _taxon("/designations/"),
    "specialisation": _taxon("/specialisations/"), "available time": _available_time, "doctor": _doctor,
    "service": _service, "contact": _contact, "schedule exception": _exception, "cancel": _cancel,
    "reschedule": _reschedule,
}
# The route templates the cases reach (a case's path with its ids, as the app names them).
COVERED = {"/api/user/register/", "/api/user/profiles/", "/patients/", "/appointments/", "/reviews/",
           "/designations/", "/specialisations/", "/available-time/", "/doctors/", "/services/", "/contacts/",
           "/doctors/{doctor_id:int}/schedule/exceptions/", "/appointments/{appointment_id:int}/cancel/",
           "/appointments/{appointment_id:int}/reschedule/"}


def test_every_creating_post_is_covered():
    creating = {path.rstrip("/") for handler in ROUTE_HANDLERS if creates(handler) for path in handler.paths}
    assert creating == {path.rstrip("/") for path in COVERED}


async def _count(client, people, creation: Creation) -> int:
    response = await client.get(creation.counted or creation.path, headers=people["admin"].headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["count"] if isinstance(body, dict) else len(body)


@pytest.mark.parametrize("case", list(CASES))
async def test_a_repeat_replays_and_creates_nothing_another_body_is_a_422(client, people, case):
    creation = await CASES[case](client, people)
    headers = {**creation.who.headers, "Idempotency-Key": f"key-{case.replace(' ', '-')}"}

    async def post(path: str, body: dict):
        if creation.files is None:
            return await client.post(path, json=body, headers=headers)
        return await client.post(path, data=body, files=creation.files, headers={
            **headers, "Content-Type": "multipart/form-data; boundary=fixed-boundary-1"})

    before = await _count(client, people, creation)
    first = await post(creation.path, creation.body)
    assert first.status_code in (200, 201), first.text
    assert "Idempotent-Replayed" not in first.headers
    after = await _count(client, people, creation)
    again = await post(creation.path.rstrip("/"), creation.body)
    if case == "register":  # the same answer, with a login's tokens (test_registration_tokens_are_not_kept)
        assert again.status_code == first.status_code
        assert {**again.json(), "tokens": None} == {**first.json(), "tokens": None}
    else:
        assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await _count(client, people, creation) == after
    assert after == before + (0 if case == "cancel" else 1)  # a cancel changes one; a reschedule books one
    other = await post(creation.path, creation.other_body)
    assert other.status_code == 422 and "detail" in other.json(), other.text
    assert await _count(client, people, creation) == after


async def test_registration_tokens_are_not_kept_a_repeat_logs_in(shared_app, sql_container):
    """The record of a registration holds no token (they would sit in the clear for 24 hours); a repeat
    answers the first answer with the tokens of a login with the same credentials, and is refused
    as that login would be once the password has changed. (The app runs on this test's event loop,
    as the container's engine is used here too.)"""
    serve_container(shared_app, sql_container)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shared_app),
                                 base_url="http://testserver.local") as client:
        await _registration_tokens_are_not_kept(client, sql_container)


async def _registration_tokens_are_not_kept(client, sql_container) -> None:
    username = _name("secret")
    body = {"username": username, "email": f"{username}@example.com", "password": "Str0ng-pass-word!",
            "confirm_password": "Str0ng-pass-word!"}
    headers = {"Idempotency-Key": "register-once"}
    first = await client.post("/api/user/register/", json=body, headers=headers)
    assert first.status_code == 201, first.text
    async with sql_container.engine().connect() as connection:
        kept = [row[0] for row in await connection.execute(text("SELECT body FROM idempotency_records"))]
    first_tokens = first.json()["tokens"]
    assert kept and not any(token in body for body in kept for token in first_tokens.values())

    again = await client.post("/api/user/register/", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true", again.text
    assert {**again.json(), "tokens": None} == {**first.json(), "tokens": None}
    me = await client.get("/api/user/profiles/me/",
                          headers={"Authorization": f"Bearer {again.json()['tokens']['access']}"})
    assert me.status_code == 200 and me.json()["user"]["username"] == username, me.text

    owner = await actor_for(sql_container, first.json()["user"]["id"])
    await sql_container.change_password()(owner, ChangePasswordCommand(
        current_password="Str0ng-pass-word!", new_password="An0ther-pass-word!",
        confirm_password="An0ther-pass-word!"))
    refused = await client.post("/api/user/register/", json=body, headers=headers)
    assert refused.status_code == 401, refused.text
    assert "tokens" not in refused.json()
