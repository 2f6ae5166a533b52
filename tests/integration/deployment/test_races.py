"""Requests that race on one record, with real concurrency against a real server: four worker
processes (and Redis) on the run's database, PostgreSQL or SQLite.

What holds (docs/deployment.md, "Concurrency"): every change to a record is serialised by its
version; the loser of a race is re-run on the current row, so the domain's checks always see what
the winner wrote, and answers what the re-run answers (a 4xx where the row no longer allows the
change, 404 where it is gone), never a 5xx and never a state no single request could have made.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from tests.integration.deployment.conftest import forget_rate_limits
from tests.support.actors import PASSWORD
from tests.support.race_scene import Person, Scene, unique
from tests.support.server_process import ServerProcess, server_environment, start_server

pytestmark = pytest.mark.slow

WORKERS = 4
STATUS_ROUNDS = 50
REFRESHES = 30
REFRESH_ROUNDS = 3
LOGOUT_ROUNDS = 20
DOCTOR_ROUNDS = 15
DELETE_ROUNDS = 4
RENAME_ROUNDS = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, module_database_url: str,
           redis_url: str) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("races")
    environment = server_environment(workdir, module_database_url, redis_url=redis_url,
                                     rotate_refresh_tokens="true")
    # Four workers each import the whole service: on a busy 2-core machine that takes a while.
    process = start_server(workdir, environment, workers=WORKERS, name="races", startup_seconds=120)
    yield process
    process.stop()
    forget_rate_limits(redis_url)


@pytest.fixture
async def scene(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scene]:
    # The server's media folder: a service's image stored here is the one the server deletes.
    settings = make_settings(tmp_path_factory.mktemp("scene"), database_url=server.environment["HOSPITAL_DATABASE_URL"],
                             media_root=Path(server.environment["HOSPITAL_MEDIA_ROOT"]))
    opened = await Scene.open(settings)
    yield opened
    await opened.close()


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
        yield client


def _no_server_errors(responses: list[httpx.Response]) -> None:
    errors = [(r.request.method, r.request.url.path, r.status_code, r.text) for r in responses if r.status_code >= 500]
    assert errors == []


async def test_a_status_move_racing_a_cancel_never_leaves_both(api: httpx.AsyncClient, scene: Scene) -> None:
    patient = await scene.patient()
    doctor, doctor_id = await scene.doctor()
    outcomes: Counter[str] = Counter()
    responses: list[httpx.Response] = []
    for _ in range(STATUS_ROUNDS):
        appointment = await scene.appointment(patient, doctor_id)
        path = f"/appointments/{appointment}/"
        start, cancel = await asyncio.gather(
            api.patch(path, json={"appointment_status": "Runing"}, headers=doctor.headers),
            api.patch(path, json={"cancel": True}, headers=patient.headers),
        )
        responses += [start, cancel]
        final = (await api.get(path, headers=patient.headers)).json()
        both = final["cancel"] and final["appointment_status"] == "Runing"
        outcomes["both in the row" if both else "one in the row"] += 1
        outcomes[f"start {start.status_code}, cancel {cancel.status_code}"] += 1
    print(f"status vs cancel, {STATUS_ROUNDS} rounds: {dict(outcomes)}")
    _no_server_errors(responses)
    assert outcomes["both in the row"] == 0
    assert outcomes["start 200, cancel 200"] == 0


async def _refresh(api: httpx.AsyncClient, token: str) -> httpx.Response:
    return await api.post("/api/user/token/refresh/", json={"refresh": token})


async def test_concurrent_refreshes_of_one_token_with_rotation_give_exactly_one_new_pair(
        api: httpx.AsyncClient, scene: Scene) -> None:
    person = await scene.patient()
    counts = []
    for _ in range(REFRESH_ROUNDS):
        person = await scene.fresh_tokens(person)
        responses = await asyncio.gather(*(_refresh(api, person.refresh) for _ in range(REFRESHES)))
        _no_server_errors(list(responses))
        statuses = Counter(response.status_code for response in responses)
        counts.append(dict(statuses))
        assert statuses == {200: 1, 401: REFRESHES - 1}, counts
    print(f"{REFRESHES} concurrent refreshes with rotation, per round: {counts}")


async def test_a_refresh_racing_a_logout_never_outlives_an_acknowledged_logout(
        api: httpx.AsyncClient, scene: Scene) -> None:
    person = await scene.patient()
    outcomes: Counter[str] = Counter()
    for _ in range(LOGOUT_ROUNDS):
        person = await scene.fresh_tokens(person)
        refreshed, logged_out = await asyncio.gather(
            _refresh(api, person.refresh),
            api.post("/api/user/logout/", json={"refresh": person.refresh}, headers=person.headers),
        )
        _no_server_errors([refreshed, logged_out])
        outcomes[f"refresh {refreshed.status_code}, logout {logged_out.status_code}"] += 1
        if refreshed.status_code == 200 and logged_out.status_code == 200:
            outcomes["both 200"] += 1
        if logged_out.status_code == 200 and refreshed.status_code == 200:
            minted = refreshed.json()["refresh"]
            if (await _refresh(api, minted)).status_code == 200:
                outcomes["a token minted beside an acknowledged logout works"] += 1
    print(f"refresh vs logout, {LOGOUT_ROUNDS} rounds: {dict(outcomes)}")
    assert outcomes["both 200"] == 0
    assert outcomes["a token minted beside an acknowledged logout works"] == 0


def _links(body: dict) -> tuple:
    return sorted(body["available_time"]), sorted(body["designation"]), sorted(body["specialisation"])


async def test_concurrent_patches_of_one_doctor_leave_one_of_the_writes_whole(
        api: httpx.AsyncClient, scene: Scene) -> None:
    doctor, doctor_id = await scene.doctor()
    admin = scene.admin
    assert admin is not None
    path = f"/doctors/{doctor_id}/"
    names = {kind: {pk: (await api.get(f"/{kind}s/{pk}/")).json()["name"] for pk in ids}
             for kind, ids in (("designation", scene.designations), ("specialisation", scene.specialisations))}
    times, designations, specialisations = scene.times, scene.designations, scene.specialisations
    # Only the lists: the doctor's own row is not written by any of them.
    writes = [
        (admin, {"available_time": [times[0]], "designation": [designations[0]],
                 "specialisation": [specialisations[0]]}),
        (doctor, {"available_time": [times[1], times[2]], "designation": [designations[1], designations[2]],
                  "specialisation": [specialisations[1]]}),
        (admin, {"available_time": [times[0], times[2]], "designation": [designations[2]],
                 "specialisation": [specialisations[1], specialisations[2]]}),
    ]
    expected = [(sorted(body["available_time"]), sorted(names["designation"][pk] for pk in body["designation"]),
                 sorted(names["specialisation"][pk] for pk in body["specialisation"])) for _, body in writes]
    mismatches, responses = [], []
    for round_number in range(DOCTOR_ROUNDS):
        answers = await asyncio.gather(*(api.patch(path, json=body, headers=who.headers) for who, body in writes))
        responses += answers
        final = (await api.get(path)).json()
        possible = [state for state, answer in zip(expected, answers, strict=True) if answer.status_code == 200]
        if _links(final) not in possible:
            mismatches.append((_links(final), possible))
        # Different fields at once: both land, whichever goes first.
        fee, link = await asyncio.gather(
            api.patch(path, json={"fee": 5000 + round_number}, headers=admin.headers),
            api.patch(path, json={"meet_link": f"https://meet.example.com/{round_number}"}, headers=doctor.headers),
        )
        responses += [fee, link]
        final = (await api.get(path)).json()
        if (fee.status_code, link.status_code) == (200, 200) and (
                final["fee"], final["meet_link"]) != (5000 + round_number, f"https://meet.example.com/{round_number}"):
            mismatches.append(((final["fee"], final["meet_link"]), "both the fee and the meet link"))
    print(f"concurrent doctor PATCHes, {DOCTOR_ROUNDS} rounds: "
          f"{dict(Counter(response.status_code for response in responses))}, {len(mismatches)} mixed states")
    _no_server_errors(responses)
    assert {response.status_code for response in responses} == {200}
    assert mismatches == []


async def _patch_and_two_deletes(api: httpx.AsyncClient, path: str, patch: dict, headers: dict) -> list[httpx.Response]:
    patched, first, second = await asyncio.gather(
        api.patch(path, json=patch, headers=headers), api.delete(path, headers=headers),
        api.delete(path, headers=headers),
    )
    return [first, patched, second]


async def test_a_patch_racing_two_deletes_answers_404_never_5xx_on_every_resource(
        api: httpx.AsyncClient, scene: Scene) -> None:
    admin = scene.admin
    assert admin is not None
    _, doctor_id = await scene.doctor()

    async def appointment() -> tuple[str, dict, dict]:
        patient = await scene.patient()
        return f"/appointments/{await scene.appointment(patient, doctor_id)}/", {"symptoms": "fever"}, patient.headers

    async def review() -> tuple[str, dict, dict]:
        patient = await scene.patient()
        return f"/reviews/{await scene.review(patient, doctor_id)}/", {"body": "Better"}, patient.headers

    async def profile() -> tuple[str, dict, dict]:
        person = await scene.patient()
        return f"/api/user/profiles/{await scene.profile_id(person)}/", {"bio": "Hello"}, person.headers

    async def patient() -> tuple[str, dict, dict]:
        person = await scene.patient()
        return f"/patients/{person.actor.patient_id}/", {"phone": ""}, person.headers

    async def a_doctor() -> tuple[str, dict, dict]:
        _, made = await scene.doctor()
        return f"/doctors/{made}/", {"fee": 900, "available_time": [scene.times[1]]}, admin.headers

    async def available_time() -> tuple[str, dict, dict]:
        return f"/available-time/{await scene.available_time()}/", {"time": "Fri 8-9"}, admin.headers

    async def designation() -> tuple[str, dict, dict]:
        return f"/designations/{await scene.designation()}/", {"name": "Renamed"}, admin.headers

    async def specialisation() -> tuple[str, dict, dict]:
        return f"/specialisations/{await scene.specialisation()}/", {"name": "Renamed"}, admin.headers

    async def service() -> tuple[str, dict, dict]:
        return f"/services/{await scene.service()}/", {"name": "Renamed"}, admin.headers

    async def contact() -> tuple[str, dict, dict]:
        return f"/contacts/{await scene.contact()}/", {"name": "Bob"}, admin.headers

    makers = [appointment, review, profile, patient, a_doctor, available_time, designation, specialisation,
              service, contact]
    outcomes: dict[str, Counter[str]] = {}
    wrong: list[tuple[str, list[int]]] = []
    for make in makers:
        counts = outcomes.setdefault(make.__name__, Counter())
        for _ in range(DELETE_ROUNDS):
            path, patch, headers = await make()
            first_delete, patched, second_delete = await _patch_and_two_deletes(api, path, patch, headers)
            statuses = [first_delete.status_code, patched.status_code, second_delete.status_code]
            counts[f"delete, patch, delete: {statuses}"] += 1
            deletes = sorted([first_delete.status_code, second_delete.status_code])
            if deletes != [204, 404] or patched.status_code not in (200, 404):
                wrong.append((path, statuses))
            assert (await api.get(path, headers=headers)).status_code == 404
    print("PATCH racing two DELETEs: " + json.dumps({name: dict(counts) for name, counts in outcomes.items()}))
    assert wrong == []


async def test_renames_racing_registrations_of_one_username_have_one_winner(
        api: httpx.AsyncClient, scene: Scene, server: ServerProcess) -> None:
    people: list[Person] = [await scene.patient() for _ in range(3)]
    profiles = [await scene.profile_id(person) for person in people]
    contested_names = []
    outcomes: Counter[str] = Counter()
    responses: list[httpx.Response] = []
    async def rename(person: Person, profile: int, wanted: str, delay: float) -> httpx.Response:
        # Registering hashes the password first: renames that start a little later meet it at the INSERT.
        await asyncio.sleep(delay)
        return await api.patch(f"/api/user/profiles/{profile}/", json={"username": wanted}, headers=person.headers)

    for round_number in range(RENAME_ROUNDS):
        wanted = unique("taken")
        contested_names.append(wanted)
        renames = [rename(person, profile, wanted, delay=round_number * 0.03)
                   for person, profile in zip(people, profiles, strict=True)]
        registrations = [api.post("/api/user/register/", json={
            "username": wanted, "email": f"{wanted}@example.com", "password": PASSWORD, "confirm_password": PASSWORD,
        }) for _ in range(3)]
        answers = await asyncio.gather(*renames, *registrations)
        responses += answers
        statuses = sorted(answer.status_code for answer in answers)
        outcomes[str(statuses)] += 1
        winners = [answer for answer in answers if answer.status_code in (200, 201)]
        assert len(winners) == 1 and statuses.count(400) == len(answers) - 1, statuses
    print(f"rename vs register, {RENAME_ROUNDS} rounds: {dict(outcomes)}")
    _no_server_errors(responses)
    logs = server.logs()
    assert not [name for name in contested_names if name in logs]


HOT_ROW_WRITERS = 8
HOT_ROW_PATCHES = 12


async def test_writers_of_one_row_queue_instead_of_failing(api: httpx.AsyncClient, scene: Scene) -> None:
    """Many PATCHes of one row at once, across the four workers: each is applied (200), none refused
    as a lost race (409). On PostgreSQL the row is read for change FOR UPDATE (entity_table.py), so a
    writer waits for the one before it and then changes what it committed; on SQLite the write lock
    queues them. Every change lands: the row's last name is one of the names sent, and the patient's
    phone (each writer its own) is one writer's last."""
    assert scene.admin is not None
    admin = scene.admin
    patient = await scene.patient()
    patient_id = patient.actor.patient_id
    contact_id = await scene.contact()

    async def writer(number: int) -> list[httpx.Response]:
        responses = []
        for round_number in range(HOT_ROW_PATCHES):
            responses.append(await api.patch(f"/contacts/{contact_id}/", headers=admin.headers,
                                             json={"name": f"Writer {number} {round_number}"}))
            responses.append(await api.patch(f"/patients/{patient_id}/", headers=patient.headers,
                                             json={"phone": f"0171{number:03d}{round_number:04d}"}))
        return responses

    responses = [r for rs in await asyncio.gather(*(writer(n) for n in range(HOT_ROW_WRITERS))) for r in rs]
    _no_server_errors(responses)
    statuses = Counter(response.status_code for response in responses)
    print(f"{HOT_ROW_WRITERS} writers x {HOT_ROW_PATCHES} PATCHes of one contact and one patient: {dict(statuses)}")
    assert statuses == {200: 2 * HOT_ROW_WRITERS * HOT_ROW_PATCHES}, [
        (r.request.url.path, r.status_code, r.text) for r in responses if r.status_code != 200][:5]
    contact = (await api.get(f"/contacts/{contact_id}/", headers=admin.headers)).json()
    assert contact["name"] in {f"Writer {n} {HOT_ROW_PATCHES - 1}" for n in range(HOT_ROW_WRITERS)}
    phone = (await api.get(f"/patients/{patient_id}/", headers=patient.headers)).json()["phone"]
    assert phone in {f"0171{n:03d}{HOT_ROW_PATCHES - 1:04d}" for n in range(HOT_ROW_WRITERS)}


async def test_writers_of_one_profile_queue_instead_of_failing(api: httpx.AsyncClient, scene: Scene) -> None:
    """As above for a profile, whose PATCH changes two rows (the profile's bio, the user's first name)
    and is written on the driver too (adapters/sqlalchemy/accounts.py): each PATCH answers 200, and
    the profile ends as one writer's last PATCH left it."""
    person = await scene.patient()
    path = f"/api/user/profiles/{await scene.profile_id(person)}/"

    async def writer(number: int) -> list[httpx.Response]:
        return [await api.patch(path, headers=person.headers, json={
            "bio": f"Bio {number} {round_number}", "first_name": f"Name{number}x{round_number}"})
            for round_number in range(HOT_ROW_PATCHES)]

    responses = [r for rs in await asyncio.gather(*(writer(n) for n in range(HOT_ROW_WRITERS))) for r in rs]
    _no_server_errors(responses)
    statuses = Counter(response.status_code for response in responses)
    print(f"{HOT_ROW_WRITERS} writers x {HOT_ROW_PATCHES} PATCHes of one profile: {dict(statuses)}")
    assert statuses == {200: HOT_ROW_WRITERS * HOT_ROW_PATCHES}, [
        (r.status_code, r.text) for r in responses if r.status_code != 200][:5]
    profile = (await api.get(path, headers=person.headers)).json()
    last = HOT_ROW_PATCHES - 1
    assert (profile["bio"], profile["user"]["first_name"]) in {
        (f"Bio {n} {last}", f"Name{n}x{last}") for n in range(HOT_ROW_WRITERS)}
