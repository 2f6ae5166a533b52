"""A clinic set up for dated scheduling: doctors whose available times have windows, and a week of rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from hospital.bootstrap import Container
from hospital.domain.actors import Actor
from hospital.domain.doctor_schedules import DoctorSchedule, WeeklyRule
from hospital.domain.schedules import AvailableTime
from tests.support.actors import actor_of, admin, register
from tests.support.clinic import add_doctor, register_doctor

# The scheduling tests' "now" (tests/integration/scheduling/conftest.py fixes the clock to it).
NOW = datetime(2027, 1, 1, 12, tzinfo=UTC)  # a Friday
MONDAY = datetime(2027, 1, 4, tzinfo=UTC)


async def windowed_times(container: Container, *labels: str) -> list[int]:
    """New available times whose labels read as windows ("09:00-12:00")."""
    async with container.unit_of_work() as uow:
        times = [AvailableTime.create(time=label) for label in labels]
        for time in times:
            await uow.available_times.add(time)
        await uow.commit()
    return [time.id for time in times if time.id is not None]


@dataclass(frozen=True)
class Clinic:
    patient: Actor
    other_patient: Actor
    doctor: Actor
    other_doctor: Actor
    admin: Actor
    morning: int  # the doctor's 09:00-12:00
    afternoon: int  # the doctor's 14:00-17:00
    other_morning: int  # the other doctor's 09:00-12:00


async def clinic(container: Container, timezone: str = "UTC", slot_minutes: int = 30) -> Clinic:
    """Two doctors working every day 09:00-12:00 (and the first 14:00-17:00 too), in ``timezone``."""
    morning, afternoon = await windowed_times(container, "09:00-12:00", "2pm-5pm")
    (other_morning,) = await windowed_times(container, "9am-12pm")
    doctor = await register_doctor(container, [morning, afternoon])
    other_doctor = await register_doctor(container, [other_morning])
    async with container.unit_of_work() as uow:
        weeks = ((doctor.doctor_id, (morning, afternoon)), (other_doctor.doctor_id, (other_morning,)))
        for doctor_id, time_ids in weeks:
            assert doctor_id is not None
            await uow.schedules.save(DoctorSchedule(
                doctor_id=doctor_id, timezone=timezone, slot_minutes=slot_minutes, horizon_days=730,
                rules=tuple(WeeklyRule(day, time_id) for day in range(7) for time_id in time_ids)))
        await uow.commit()
    return Clinic(patient=await register(container), other_patient=await register(container), doctor=doctor,
                  other_doctor=other_doctor, admin=await admin(container), morning=morning, afternoon=afternoon,
                  other_morning=other_morning)


def next_monday_at(hour: int, minute: int = 0, *, weeks: int = 1) -> datetime:
    """A Monday at least a week ahead, at hour:minute UTC."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today + timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks)
    return monday.replace(hour=hour, minute=minute)


async def doctor_over_http(client, settings, labels: tuple[str, ...] = ("09:00-12:00", "14:00-17:00")):
    """A doctor registered through the API (their token in ``headers``) offering windowed times
    ``labels``; the times are made beside the API, on the app's database."""
    from hospital.bootstrap import build_container, shutdown
    from tests.support.care_http import _party

    container = build_container(settings)
    try:
        times = await windowed_times(container, *labels)
        party = await _party(client, container, "doctor")
        await add_doctor(container, party.user_id, times)
        actor = await actor_of(container, party.user_id)
    finally:
        await shutdown(container)
    return replace(party, doctor_id=actor.doctor_id, times=times)
