"""Dated scheduling's figures: ``python -m bench.scheduling [--backends sqlite,postgresql]``.

- S1 ``GET /doctors/{id}/slots/`` for 31 days of a full week (8 h a day, 15-minute slots, 100
  appointments booked) against the bare endpoint answering the same bytes (goal >= 0.20);
- S2 booking a dated slot (``POST /appointments/`` with ``start``, each request a new free slot)
  against a bare POST that decodes the same body and answers the same bytes (goal >= 0.15).

Both through wrk, ours and the bare app running side by side, measured in interleaved 1 s slices
(bench/interleaving.py: A B B A, then B A A B, ``BENCH_SCHEDULING_ROUNDS`` (3) rounds, the median
round's ratio kept). Until December 2026 each figure was one 5 s run of ours, then one of the bare
app after it: S2 on PostgreSQL moved 0.147-0.173 between such runs on a quiet machine.
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

from bench.interleaving import interleaved, median_round
from bench.run import (
    BARE_PORT,
    ROOT,
    SERVER_PORT,
    Load,
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


SLICE_SECONDS, PAUSE_SECONDS = 1, 0.2
ROUNDS = int(os.environ.get("BENCH_SCHEDULING_ROUNDS", "3"))
# Each of S2's slices of ours (the warm-up's and 2 per round) books from a day of its own, so that no
# slice meets another's bookings (they would be 409s). The days after FIRST_BOOKING_DAY, inside the
# schedule's 730-day horizon (less two weeks: the first day is up to 14 days ahead), are shared out:
# with 3 rounds, 96 days of 32 slots a slice, room for 3,072 bookings a second.
FIRST_BOOKING_DAY = 40
DAYS_A_SLICE = (730 - 14 - FIRST_BOOKING_DAY) // (2 * ROUNDS + 1)


def measure(backend: str, work: Path, base_env: dict[str, str]) -> dict[str, tuple[float, float, int, list[float]]]:
    """S1 and S2, each ours against the bare app, both servers running, in interleaved slices
    (bench/interleaving.py): per figure, the median round's rates and errors, and every round's ratio."""
    directory = work / backend
    directory.mkdir(parents=True)
    env = _server_env(base_env, database_url(backend, directory), directory)
    hospital("migrate", env=env)
    doctor, token, first = asyncio.run(_prepare(env))
    base, bare_base = f"http://127.0.0.1:{SERVER_PORT}", f"http://127.0.0.1:{BARE_PORT}"
    last = first + timedelta(days=DAYS - 1)
    slots_path = f"/doctors/{doctor}/slots/?from={first.date()}&to={last.date()}"
    serve = [sys.executable, "-m", "hospital.entrypoints.cli", "serve", "--port", str(SERVER_PORT)]
    bare_serve = [sys.executable, "-m", "bench.serve", "uvicorn", "bench.bare_app:create_app", str(BARE_PORT)]
    days = iter(range(FIRST_BOOKING_DAY, 10_000, DAYS_A_SLICE))

    def booking_slice() -> Load:
        day = next(days)
        script = _booking_script(directory, f"book-{day}", doctor, token, first + timedelta(days=day))
        return wrk(f"{base}/appointments/", script=script, seconds=SLICE_SECONDS)

    with running(serve, env, f"{base}/health/live", directory / "server.log"):
        slots = request(f"{base}{slots_path}").decode()
        assert len(json.loads(slots)) == DAYS * SLOTS_A_DAY
        booking_body = json.dumps({"doctor": doctor, "start": (first + timedelta(days=35, hours=9)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), "appointment_type": "Online"}).encode()
        booking = request(f"{base}/appointments/", method="POST", body=booking_body, token=token).decode()
        responses = directory / "responses.json"
        responses.write_text(json.dumps({"slots": slots, "dated_booking": booking}))
        with running(bare_serve, {**env, "BENCH_BARE_RESPONSES": str(responses)}, f"{bare_base}/bare/slots",
                     directory / "bare.log"):
            slot_loads = {"ours": lambda: wrk(f"{base}{slots_path}", seconds=SLICE_SECONDS),
                          "bare": lambda: wrk(f"{bare_base}/bare/slots", seconds=SLICE_SECONDS)}
            bare_script = _booking_script(directory, "bare", doctor, token, first)
            booking_loads = {"ours": booking_slice,
                             "bare": lambda: wrk(f"{bare_base}/bare/dated_booking", script=bare_script,
                                                 seconds=SLICE_SECONDS)}
            # S1 first, with the 100 appointments its figure is defined with: S2's thousands of bookings
            # (after the listed days) would lengthen its busy-interval scan (bench/findings.md).
            measured = {}
            for name, loads in (("S1 slots, 31 days", slot_loads), ("S2 dated booking", booking_loads)):
                for load in loads.values():  # the same warm-up on both
                    load()
                measured[name] = interleaved(loads, ROUNDS, slice_seconds=SLICE_SECONDS, pause=PAUSE_SECONDS)
    figures = {}
    for name, rounds in measured.items():
        _, middle, ratios = median_round(rounds, "ours", "bare")
        errors = sum(r[side].errors for r in rounds for side in ("ours", "bare"))
        figures[name] = (middle["ours"].rps, middle["bare"].rps, errors, ratios)
    return figures


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
            for name, (real, bare, errors, ratios) in measure(backend, Path(work), base_env).items():
                ratio = real / bare
                ok = ratio >= GOALS[name] and not errors
                failed |= not ok
                print(f"{name} {backend}: {real:,.0f} req/s vs bare {bare:,.0f} req/s = {ratio:.3f} "
                      f"(goal >= {GOALS[name]:.2f}{', ' + str(errors) + ' failed requests' if errors else ''})"
                      f"{'' if ok else '  SHORT'} (rounds {', '.join(f'{value:.3f}' for value in ratios)})", flush=True)
            print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
