"""Dated scheduling's figures: ``python -m bench.scheduling [--backends sqlite,postgresql]``.

- S1 ``GET /doctors/{id}/slots/`` for 31 days of a full week (8 h a day, 15-minute slots, 100
  appointments booked) against the bare endpoint answering the same bytes (goal >= 0.20);
- S2 booking a dated slot (``POST /appointments/`` with ``start``, each request a new free slot)
  against a bare POST that decodes the same body and answers the same bytes (goal >= 0.15).

Both through wrk, ours and the bare app side by side in one run, as bench/run.py measures the rest.
It prints; it writes nothing. Run from a production install (``make bench`` builds ``.venv-bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.run import (
    BARE_PORT,
    ROOT,
    SERVER_PORT,
    _server_env,
    database_url,
    ensure_wrk,
    hospital,
    request,
    running,
    wrk,
)

DAYS, BOOKED, SLOT_MINUTES = 31, 100, 15
SLOTS_A_DAY = 8 * 60 // SLOT_MINUTES


def _monday(weeks: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks)


async def _prepare(env: dict[str, str]) -> tuple[int, str, datetime]:
    """A doctor working 09:00-17:00 UTC every day in 15-minute slots, 100 of the first 31 days' slots
    booked; the doctor's id, a patient's token, and the first day."""
    from hospital.application.accounts import CreateSuperuserCommand, RegisterCommand
    from hospital.application.available_times import AvailableTimeChanges
    from hospital.application.dated_appointments import SlotBooking
    from hospital.application.doctor_schedules import ScheduleSettings
    from hospital.application.doctors import DoctorChanges
    from hospital.application.ports.security import TokenType
    from hospital.application.taxonomy import TaxonChanges
    from hospital.bootstrap import actor_for, build_container, shutdown
    from hospital.settings import Settings

    container = build_container(Settings.from_env(env))
    try:
        password = "Bench-scheduling-1"
        admin = await container.create_superuser()(CreateSuperuserCommand(
            username="sched-admin", email="a@example.com", password=password))
        boss = await actor_for(container, admin.id)
        time_id = (await container.create_available_time()(boss, AvailableTimeChanges(time="09:00-17:00"))).id
        designation = (await container.create_designation()(boss, TaxonChanges(name="Consultant"))).id
        specialisation = (await container.create_specialisation()(boss, TaxonChanges(name="Cardiology"))).id
        people = []
        for number in range(11):
            registration = await container.register_user()(RegisterCommand(
                username=f"sched{number}", email=f"sched{number}@example.com", password=password,
                confirm_password=password))
            people.append(await actor_for(container, registration.user.id))
        doctor = await container.create_doctor()(boss, DoctorChanges(
            user=people[0].user_id, designation=(designation,), specialisation=(specialisation,),
            available_time=(time_id,), fee=100))
        await container.set_schedule()(boss, doctor.id, ScheduleSettings(
            timezone="UTC", slot_minutes=SLOT_MINUTES, horizon_days=730, rules=[(day, time_id) for day in range(7)]))
        first = _monday(1)
        for index in range(BOOKED):
            day, slot = divmod(index * 7, SLOTS_A_DAY)  # spread over the days
            start = first + timedelta(days=day % DAYS, hours=9, minutes=SLOT_MINUTES * slot)
            patient = await actor_for(container, people[1 + index % 10].user_id)
            await container.book_slot()(patient, SlotBooking(doctor=doctor.id, start=start,
                                                             appointment_type="Online"))
        token = container.tokens().issue(user_id=people[1].user_id, token_type=TokenType.ACCESS, version=0).token
        return doctor.id, token, first
    finally:
        await shutdown(container)


def _booking_script(directory: Path, name: str, doctor: int, token: str, first_day: datetime) -> Path:
    """Each request books the next slot from ``first_day`` on (wrk runs one thread: one counter)."""
    path = directory / f"{name}.lua"
    path.write_text(f"""
local n = 0
local base = {int(first_day.timestamp())}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
function request()
  local day = math.floor(n / {SLOTS_A_DAY})
  local t = base + day * 86400 + 9 * 3600 + (n % {SLOTS_A_DAY}) * {SLOT_MINUTES * 60}
  n = n + 1
  local body = string.format('{{"doctor": {doctor}, "start": "%s", "appointment_type": "Online"}}',
                             os.date("!%Y-%m-%dT%H:%M:%SZ", t))
  return wrk.format(nil, nil, nil, body)
end
""")
    return path


def measure(backend: str, work: Path, base_env: dict[str, str]) -> dict[str, tuple[float, float, int]]:
    directory = work / backend
    directory.mkdir(parents=True)
    env = _server_env(base_env, database_url(backend, directory), directory)
    hospital("migrate", env=env)
    doctor, token, first = asyncio.run(_prepare(env))
    base, bare_base = f"http://127.0.0.1:{SERVER_PORT}", f"http://127.0.0.1:{BARE_PORT}"
    last = first + timedelta(days=DAYS - 1)
    slots_path = f"/doctors/{doctor}/slots/?from={first.date()}&to={last.date()}"
    serve = [sys.executable, "-m", "hospital.entrypoints.cli", "serve", "--port", str(SERVER_PORT)]
    with running(serve, env, f"{base}/health/live", directory / "server.log"):
        slots = request(f"{base}{slots_path}").decode()
        assert len(json.loads(slots)) == DAYS * SLOTS_A_DAY
        wrk(f"{base}{slots_path}", seconds=1)
        real_slots = wrk(f"{base}{slots_path}")
        booking_body = json.dumps({"doctor": doctor, "start": (first + timedelta(days=60, hours=9)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), "appointment_type": "Online"}).encode()
        booking = request(f"{base}/appointments/", method="POST", body=booking_body, token=token).decode()
        warm = _booking_script(directory, "warm", doctor, token, first + timedelta(days=100))
        wrk(f"{base}/appointments/", script=warm, seconds=1)
        real_booking = wrk(f"{base}/appointments/", script=_booking_script(
            directory, "book", doctor, token, first + timedelta(days=200)))
    responses = directory / "responses.json"
    responses.write_text(json.dumps({"slots": slots, "dated_booking": booking}))
    bare_serve = [sys.executable, "-m", "bench.serve", "uvicorn", "bench.bare_app:create_app", str(BARE_PORT)]
    with running(bare_serve, {**env, "BENCH_BARE_RESPONSES": str(responses)}, f"{bare_base}/bare/slots",
                 directory / "bare.log"):
        wrk(f"{bare_base}/bare/slots", seconds=1)
        bare_slots = wrk(f"{bare_base}/bare/slots")
        script = _booking_script(directory, "bare", doctor, token, first)
        wrk(f"{bare_base}/bare/dated_booking", script=script, seconds=1)
        bare_booking = wrk(f"{bare_base}/bare/dated_booking", script=script)
    return {"S1 slots, 31 days": (real_slots.rps, bare_slots.rps, real_slots.errors),
            "S2 dated booking": (real_booking.rps, bare_booking.rps, real_booking.errors)}


GOALS = {"S1 slots, 31 days": 0.20, "S2 dated booking": 0.15}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    arguments = parser.parse_args()
    ensure_wrk()
    base_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    failed = False
    with tempfile.TemporaryDirectory(prefix="hospital-bench-scheduling-") as work:
        base_env["BENCH_DIR"] = work
        for backend in arguments.backends.split(","):
            started = time.monotonic()
            for name, (real, bare, errors) in measure(backend, Path(work), base_env).items():
                ratio = real / bare
                ok = ratio >= GOALS[name] and not errors
                failed |= not ok
                print(f"{name} {backend}: {real:,.0f} req/s vs bare {bare:,.0f} req/s = {ratio:.3f} "
                      f"(goal >= {GOALS[name]:.2f}{', ' + str(errors) + ' failed requests' if errors else ''})"
                      f"{'' if ok else '  SHORT'}", flush=True)
            print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
