"""Double bookings are impossible by construction (SCHEDULING.md section 8), proven with real
concurrency against a real server: four worker processes on the run's database, PostgreSQL or SQLite.

The server does not look at whether a slot is free before its INSERT (it checks only that the start
is one of the doctor's slots): every race below sends several requests at once for one slot, and
only the database's constraint (PostgreSQL's exclusion constraints, SQLite's triggers and partial
unique index, migration 0005) turns all but one into a 409. With the constraints dropped these
tests fail (several 201s).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from hospital.application.available_times import AvailableTimeChanges
from hospital.application.doctor_schedules import ScheduleSettings
from hospital.application.doctors import DoctorChanges
from tests.conftest import make_settings
from tests.integration.deployment.conftest import forget_rate_limits
from tests.support.race_scene import Person, Scene
from tests.support.server_process import ServerProcess, server_environment, start_server

pytestmark = pytest.mark.slow

WORKERS = 4
BOOKERS = 20
ROUNDS = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, module_database_url: str,
           redis_url: str) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("booking-races")
    environment = server_environment(workdir, module_database_url, redis_url=redis_url)
    process = start_server(workdir, environment, workers=WORKERS, name="booking-races", startup_seconds=120)
    yield process
    process.stop()
    forget_rate_limits(redis_url)


@pytest.fixture
async def scene(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scene]:
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


_weeks = iter(range(1, 500))


def a_free_monday() -> datetime:
    """09:00 UTC on a Monday no other test of this run (on a shared database) books."""
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return today + timedelta(days=(7 - today.weekday()) % 7 + 7 * next(_weeks))


async def scheduled_doctor(scene: Scene) -> tuple[Person, int]:
    """A doctor working 09:00-17:00 UTC every day, in 30-minute slots."""
    container = scene.container
    time = await container.create_available_time()(scene.boss, AvailableTimeChanges(time="09:00-17:00"))
    user = await scene.patient()
    doctor = await container.create_doctor()(scene.boss, DoctorChanges(
        user=user.user_id, designation=(scene.designations[0],), specialisation=(scene.specialisations[0],),
        available_time=(time.id,), fee=100))
    await container.set_schedule()(scene.boss, doctor.id, ScheduleSettings(
        timezone="UTC", slot_minutes=30, horizon_days=730, rules=[(day, time.id) for day in range(7)]))
    return await scene.person_of(user.user_id), doctor.id


def z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def book(api: httpx.AsyncClient, patient: Person, doctor_id: int, start: datetime) -> httpx.Response:
    return await api.post("/appointments/", json={"doctor": doctor_id, "start": z(start), "appointment_type": "Online"},
                          headers=patient.headers)


def _no_server_errors(responses: list[httpx.Response]) -> None:
    errors = [(r.request.method, r.request.url.path, r.status_code, r.text) for r in responses if r.status_code >= 500]
    assert errors == []


async def test_twenty_concurrent_bookings_of_one_slot_give_one_201_and_nineteen_409(api, scene) -> None:
    _, doctor_id = await scheduled_doctor(scene)
    patients = [await scene.patient() for _ in range(BOOKERS)]
    counts = []
    for round_number in range(ROUNDS):
        start = a_free_monday() + timedelta(minutes=30 * round_number)
        responses = list(await asyncio.gather(*(book(api, patient, doctor_id, start) for patient in patients)))
        _no_server_errors(responses)
        statuses = Counter(response.status_code for response in responses)
        counts.append(dict(statuses))
        assert statuses == {201: 1, 409: BOOKERS - 1}, (counts, [r.text for r in responses if r.status_code != 201])
        slots = (await api.get(f"/doctors/{doctor_id}/slots/", params={
            "from": start.date().isoformat(), "to": start.date().isoformat()})).json()
        assert [slot["status"] for slot in slots if slot["start"] == z(start)] == ["busy"]
    print(f"{BOOKERS} concurrent bookings of one slot, per round: {counts}")


async def test_one_patient_booking_two_doctors_at_once_gets_one(api, scene) -> None:
    _, first_doctor = await scheduled_doctor(scene)
    _, second_doctor = await scheduled_doctor(scene)
    outcomes: Counter[str] = Counter()
    for round_number in range(ROUNDS * 2):
        patient = await scene.patient()
        start = a_free_monday() + timedelta(minutes=30 * (round_number % 16))
        responses = await asyncio.gather(book(api, patient, first_doctor, start),
                                         book(api, patient, second_doctor, start))
        _no_server_errors(list(responses))
        outcomes[str(sorted(response.status_code for response in responses))] += 1
    print(f"a patient's two overlapping bookings: {dict(outcomes)}")
    assert dict(outcomes) == {"[201, 409]": ROUNDS * 2}


async def test_a_reschedule_racing_a_booking_into_the_same_slot_has_one_winner(api, scene) -> None:
    _, doctor_id = await scheduled_doctor(scene)
    outcomes: Counter[str] = Counter()
    for round_number in range(ROUNDS * 2):
        monday = a_free_monday()
        mover, booker = await scene.patient(), await scene.patient()
        first = await book(api, mover, doctor_id, monday)
        assert first.status_code == 201, first.text
        target = monday + timedelta(minutes=30 * (1 + round_number % 8))
        rescheduled, booked = await asyncio.gather(
            api.post(f"/appointments/{first.json()['id']}/reschedule/", json={"start": z(target)},
                     headers=mover.headers),
            book(api, booker, doctor_id, target))
        _no_server_errors([rescheduled, booked])
        outcomes[f"reschedule {rescheduled.status_code}, booking {booked.status_code}"] += 1
        old = (await api.get(f"/appointments/{first.json()['id']}/", headers=mover.headers)).json()
        # The loser of the two changed nothing: a refused reschedule leaves the old one booked.
        assert old["status"] == ("cancelled" if rescheduled.status_code == 201 else "booked")
    print(f"reschedule vs booking: {dict(outcomes)}")
    assert set(outcomes) <= {"reschedule 201, booking 409", "reschedule 409, booking 201"}


async def test_ten_identical_posts_with_one_idempotency_key_make_one_appointment(api, scene) -> None:
    _, doctor_id = await scheduled_doctor(scene)
    outcomes: Counter[str] = Counter()
    for round_number in range(ROUNDS):
        patient = await scene.patient()
        body = {"doctor": doctor_id, "start": z(a_free_monday()), "appointment_type": "Online"}
        # A dated booking and, on alternate rounds, the guide's undated one (which no slot constraint guards).
        if round_number % 2:
            body = {"doctor": doctor_id, "time": (await scene.container.get_schedule()(
                scene.boss, doctor_id)).rules[0].time, "appointment_type": "Online"}
        headers = {**patient.headers, "Idempotency-Key": f"race-{round_number}"}
        responses = list(await asyncio.gather(*(api.post("/appointments/", json=body, headers=headers)
                                                for _ in range(10))))
        _no_server_errors(responses)
        statuses = Counter(response.status_code for response in responses)
        outcomes[str(dict(statuses))] += 1
        assert statuses == {201: 10}, [r.text for r in responses]
        assert len({response.text for response in responses}) == 1
        assert sum(response.headers.get("Idempotent-Replayed") == "true" for response in responses) == 9
        listed = (await api.get("/appointments/", headers=patient.headers)).json()
        assert listed["count"] == 1
    print(f"10 identical POSTs with one key, per round: {dict(outcomes)}")


async def test_ten_identical_creates_of_another_resource_with_one_key_make_one(api, scene) -> None:
    """The same guarantee for every creating POST (make_idempotent): an available time, which nothing
    else keeps unique, so without the key's record each POST would create one."""
    assert scene.admin is not None
    for round_number in range(ROUNDS):
        label = f"Race {round_number} 9am-10am {datetime.now(UTC).timestamp()}"
        headers = {**scene.admin.headers, "Idempotency-Key": f"time-race-{label}".replace(" ", "-")}
        responses = list(await asyncio.gather(*(api.post("/available-time/", json={"time": label}, headers=headers)
                                                for _ in range(10))))
        _no_server_errors(responses)
        assert Counter(response.status_code for response in responses) == {201: 10}, [r.text for r in responses]
        assert len({response.text for response in responses}) == 1
        assert sum(response.headers.get("Idempotent-Replayed") == "true" for response in responses) == 9
        listed = (await api.get("/available-time/")).json()
        assert [item["time"] for item in listed].count(label) == 1
