"""The repositories' version rule, the same on every store: a record changed or deleted since a unit of
work read it can be neither saved nor deleted by that unit (ConcurrentChangeError, nothing written).

Two units of work interleave here, which SQLite cannot do in one process: its transactions take the
one write lock when they begin, so the second cannot even read before the first ends (its races are
settled by that lock; the race tests of tests/integration/deployment show it over HTTP). Nor can
PostgreSQL for the records written on the driver (entity_table.py): their row is read FOR UPDATE, so
a second unit's read waits for the first unit to end; in one task the first cannot end while the
second waits, and the second fails after ``lock_timeout`` as a lost race (the last test here). Those
records' interleavings run on the in-memory store, which states the rule for every store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from hospital.application.errors import ConcurrentChangeError
from hospital.application.ports.unit_of_work import UnitOfWork
from hospital.bootstrap import Container
from hospital.domain.appointments import Appointment, AppointmentStatus
from hospital.domain.contacts import Contact
from hospital.domain.doctors import Doctor
from hospital.domain.errors import ConflictError
from hospital.domain.patients import Patient
from hospital.domain.profiles import UserProfile
from hospital.domain.users import USERNAME_TAKEN, User

NOW = datetime(2026, 1, 15, tzinfo=UTC)
Factory = Callable[[], UnitOfWork]


@pytest.fixture
def uow(any_container: Container, request: pytest.FixtureRequest) -> Factory:
    if request.node.callspec.params.get("any_container") == "sqlite":
        pytest.skip("SQLite's units of work cannot interleave in one process (see the module)")
    return any_container.unit_of_work


@pytest.fixture
def interleaved(any_container: Container, request: pytest.FixtureRequest) -> Factory:
    """Two units on one row of a record written on the driver: the in-memory store only (the module)."""
    if request.node.callspec.params.get("any_container") != "memory":
        pytest.skip("a row written on the driver is read FOR UPDATE: two units cannot interleave on it")
    return any_container.unit_of_work


async def _contact(uow: Factory) -> int:
    async with uow() as tx:
        contact = Contact.create(name="Ann", phone="01712345678", massage="Call me")
        await tx.contacts.add(contact)
        await tx.commit()
    assert contact.id is not None
    return contact.id


async def test_a_save_of_a_record_changed_since_it_was_read_fails(interleaved: Factory) -> None:
    uow = interleaved
    contact_id = await _contact(uow)
    async with uow() as first, uow() as second:
        mine, theirs = await first.contacts.get(contact_id), await second.contacts.get(contact_id)
        mine.update(name="First")
        await first.contacts.save(mine)
        await first.commit()
        theirs.update(name="Second")
        with pytest.raises(ConcurrentChangeError):
            await second.contacts.save(theirs)
    async with uow() as tx:
        assert (await tx.contacts.get(contact_id)).name == "First"


async def test_a_record_deleted_since_it_was_read_can_be_neither_saved_nor_deleted(interleaved: Factory) -> None:
    uow = interleaved
    ids = [await _contact(uow) for _ in range(2)]
    async with uow() as deleter, uow() as saver, uow() as second_deleter:
        for contact_id in ids:
            await deleter.contacts.delete(await deleter.contacts.get(contact_id))
        changed = await saver.contacts.get(ids[0])
        again = await second_deleter.contacts.get(ids[1])
        await deleter.commit()
        changed.update(name="Too late")
        with pytest.raises(ConcurrentChangeError):
            await saver.contacts.save(changed)
        with pytest.raises(ConcurrentChangeError):
            await second_deleter.contacts.delete(again)


async def _clinic(uow: Factory) -> tuple[int, int, list[int]]:
    """A patient and a doctor offering three times (ids made up in memory, rows in SQL)."""
    async with uow() as tx:
        users = [
            User.register(
                username=name,
                email=f"{name}@example.com",
                first_name="",
                last_name="",
                password_hash="h",
                joined_at=NOW,
            )
            for name in ("pat", "doc")
        ]
        for user in users:
            await tx.users.add(user)
        patient = Patient.enrol(user_id=users[0].id)
        await tx.patients.add(patient)
        session = getattr(tx, "session", None)
        times = [1, 2, 3]
        if session is not None:
            from sqlalchemy import insert

            from hospital.adapters.sqlalchemy.tables.catalogue import available_times

            times = [
                (
                    await session.execute(insert(available_times).values(time=f"t{n}").returning(available_times.c.id))
                ).scalar_one()
                for n in range(3)
            ]
        doctor = Doctor(
            user_id=users[1].id, designation_ids=[], specialisation_ids=[], available_time_ids=times, fee=100
        )
        await tx.doctors.add(doctor)
        await tx.commit()
    return patient.id, doctor.id, times


async def test_a_status_move_and_a_cancel_read_together_cannot_both_be_stored(interleaved: Factory) -> None:
    uow = interleaved
    patient_id, doctor_id, times = await _clinic(uow)
    async with uow() as tx:
        appointment = Appointment.book(patient_id, doctor_id, times[0], "Online", "", times)
        await tx.appointments.add(appointment)
        await tx.commit()
    async with uow() as cancel, uow() as start:
        to_cancel = await cancel.appointments.get(appointment.id)
        to_start = await start.appointments.get(appointment.id)
        to_cancel.cancelled = True
        await cancel.appointments.save(to_cancel)
        await cancel.commit()
        to_start.status = AppointmentStatus.RUNNING
        with pytest.raises(ConcurrentChangeError):
            await start.appointments.save(to_start)
    async with uow() as tx:
        stored = await tx.appointments.get(appointment.id)
    assert (stored.cancelled, stored.status) == (True, AppointmentStatus.PENDING)


async def test_a_change_to_a_doctor_s_lists_alone_moves_its_version(interleaved: Factory) -> None:
    uow = interleaved
    _, doctor_id, times = await _clinic(uow)
    async with uow() as first, uow() as second:
        mine, theirs = await first.doctors.get(doctor_id), await second.doctors.get(doctor_id)
        mine.update(available_time_ids=[times[0]])
        await first.doctors.save(mine)
        await first.commit()
        theirs.update(available_time_ids=[times[1], times[2]])
        with pytest.raises(ConcurrentChangeError):
            await second.doctors.save(theirs)
    async with uow() as tx:
        assert (await tx.doctors.get(doctor_id)).available_time_ids == [times[0]]


async def _user(uow: Factory, username: str = "alice") -> User:
    async with uow() as tx:
        user = User.register(username=username, email=f"{username}@example.com", first_name="", last_name="",
                             password_hash="h", joined_at=NOW)
        await tx.users.add(user)
        await tx.profiles.add(UserProfile.create(user_id=user.id, now=NOW))
        await tx.commit()
    return user


async def test_a_save_of_a_user_changed_since_it_was_read_fails(interleaved: Factory) -> None:
    uow = interleaved
    user = await _user(uow)
    async with uow() as first, uow() as second:
        mine, theirs = await first.users.get(user.id), await second.users.get(user.id)
        mine.rename(first_name="Alice")
        await first.users.save(mine)
        await first.commit()
        theirs.logged_in(NOW)
        with pytest.raises(ConcurrentChangeError):
            await second.users.save(theirs)
    async with uow() as tx:
        stored = await tx.users.get(user.id)
    assert (stored.first_name, stored.last_login) == ("Alice", None)


@pytest.mark.parametrize("changed", ["profile", "user"])
async def test_a_save_of_a_profile_whose_profile_or_user_changed_since_it_was_read_fails(
        interleaved: Factory, changed: str) -> None:
    uow = interleaved
    user = await _user(uow)
    async with uow() as first, uow() as second:
        mine, theirs = await first.profiles.get_by_user(user.id), await second.profiles.get_by_user(user.id)
        if changed == "profile":
            mine.profile.update(now=NOW, bio="First")
        else:
            mine.user.rename(first_name="First")
        await first.profiles.save(mine)
        await first.commit()
        theirs.profile.update(now=NOW, bio="Second")
        theirs.user.rename(first_name="Second")
        with pytest.raises(ConcurrentChangeError):
            await second.profiles.save(theirs)
            await second.commit()
    async with uow() as tx:
        stored = await tx.profiles.get_by_user(user.id)
    assert "Second" not in (stored.profile.bio, stored.user.first_name)


async def test_a_username_taken_between_the_check_and_the_save_is_refused(uow: Factory) -> None:
    alice = await _user(uow)
    with pytest.raises(ConflictError) as refused:
        async with uow() as renaming:
            assert not await renaming.users.username_taken("bob")
            user = await renaming.users.get(alice.id)
            user.rename(username="bob")
            await _user(uow, "Bob")  # another unit registers it and commits meanwhile
            await renaming.users.save(user)  # refused here (SQL: the unique index) or at the commit (memory)
            await renaming.commit()
    assert refused.value.errors == {"username": [USERNAME_TAKEN]}


async def test_a_unit_reading_a_row_another_unit_of_its_task_holds_fails_as_a_lost_race(
        any_container: Container, request: pytest.FixtureRequest) -> None:
    """On PostgreSQL the second read waits for the row's lock, which its own task holds: it must end
    (lock_timeout, 55P03) as ConcurrentChangeError, which reruns the command, instead of hanging."""
    if request.node.callspec.params.get("any_container") != "postgresql":
        pytest.skip("PostgreSQL's row locks")
    uow = any_container.unit_of_work
    contact_id = await _contact(uow)
    async with uow() as first:
        mine = await first.contacts.get(contact_id)
        with pytest.raises(ConcurrentChangeError):
            async with uow() as second:
                await second.contacts.get(contact_id)
        mine.update(name="First")
        await first.contacts.save(mine)
        await first.commit()
    async with uow() as tx:
        assert (await tx.contacts.get(contact_id)).name == "First"
