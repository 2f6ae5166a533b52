"""AppointmentRepository and AppointmentQueries: one contract, both adapters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hospital.application.pagination import InvalidPageError, PageRequest
from hospital.application.ports.appointments import AppointmentRow, AppointmentScope, AppointmentWhen, BookingOutcome
from hospital.application.ports.unit_of_work import SessionUnavailableError
from hospital.domain.appointment_lifecycle import FhirStatus
from hospital.domain.appointments import REMOVED_WHILE_BOOKING, Appointment, AppointmentStatus, AppointmentType
from hospital.domain.errors import ConflictError
from tests.support.clinic import Cast, cast


@pytest.fixture
async def people(any_container) -> Cast:
    return await cast(any_container)


async def add(container, people: Cast, patient=None, doctor=None, time_index: int = 0, **fields) -> Appointment:
    patient = patient or people.owner
    doctor = doctor or people.doctor
    times = people.doctor_times if doctor is people.doctor else people.other_doctor_times
    appointment = Appointment.book(patient.patient_id, doctor.doctor_id, times[time_index],
                                   fields.pop("appointment_type", "Online"), fields.pop("symptoms", "cough"), times)
    for name, value in fields.items():
        setattr(appointment, name, value)
    async with container.unit_of_work() as uow:
        await uow.appointments.add(appointment)
        await uow.commit()
    assert appointment.id is not None
    return appointment


def fields(appointment: Appointment | None) -> dict | None:
    if appointment is None:
        return None
    return {name: getattr(appointment, name) for name in (
        "id", "patient_id", "doctor_id", "time_id", "appointment_type", "symptoms", "status", "cancelled")}


async def test_add_gives_an_id_and_get_returns_what_was_stored(any_container, people):
    added = await add(any_container, people, appointment_type="Offline", symptoms="fever ✓ ünïcode",
                      cancelled=True)
    async with any_container.unit_of_work() as uow:
        got = await uow.appointments.get(added.id)
    assert fields(got) == fields(added)
    assert got.appointment_type is AppointmentType.OFFLINE and got.status is AppointmentStatus.PENDING


@pytest.mark.parametrize("appointment_id", [0, -1, 987654, 2**31, 2**63, 10**30])
async def test_get_of_an_unknown_or_unstorable_id_is_none(any_container, people, appointment_id):
    async with any_container.unit_of_work() as uow:
        assert await uow.appointments.get(appointment_id) is None


async def test_save_persists_changes(any_container, people):
    added = await add(any_container, people)
    async with any_container.unit_of_work() as uow:
        appointment = await uow.appointments.get(added.id)
        appointment.status = AppointmentStatus.RUNNING
        appointment.symptoms = "better"
        await uow.appointments.save(appointment)
        await uow.commit()
    async with any_container.unit_of_work() as uow:
        got = await uow.appointments.get(added.id)
    assert (got.status, got.symptoms) == (AppointmentStatus.RUNNING, "better")


async def test_nothing_sticks_without_commit(any_container, people):
    added = await add(any_container, people)
    async with any_container.unit_of_work() as uow:
        appointment = await uow.appointments.get(added.id)
        appointment.cancelled = True
        await uow.appointments.save(appointment)
        await uow.appointments.add(Appointment.book(people.owner.patient_id, people.doctor.doctor_id,
                                                    people.doctor_times[1], "Online", "", people.doctor_times))
    async with any_container.unit_of_work() as uow:
        assert (await uow.appointments.get(added.id)).cancelled is False
        assert (await any_container.read_side().appointments.list(page=PageRequest.of(), scope=None)).total == 1


def _booked(people: Cast, doctor_id: int, time_id: int) -> Appointment:
    # Built without the domain's time check: the repository's own check is what is under test.
    return Appointment(patient_id=people.owner.patient_id, doctor_id=doctor_id, time_id=time_id,
                       appointment_type=AppointmentType.ONLINE, symptoms="cough", cancelled=True)


async def test_book_stores_a_time_the_doctor_offers(any_container, people):
    appointment = _booked(people, people.doctor.doctor_id, people.doctor_times[1])
    async with any_container.unit_of_work() as uow:
        assert await uow.appointments.book(appointment) is BookingOutcome.BOOKED
        await uow.commit()
    async with any_container.unit_of_work() as uow:
        assert fields(await uow.appointments.get(appointment.id)) == fields(appointment)


@pytest.mark.parametrize("which", ["another doctor's time", "unknown time", "unknown doctor", "unstorable doctor",
                                   "unstorable time"])
async def test_book_refuses_anything_else_and_stores_nothing(any_container, people, which):
    doctor_id, time_id = {
        "another doctor's time": (people.doctor.doctor_id, people.other_doctor_times[0]),
        "unknown time": (people.doctor.doctor_id, 987654),
        "unknown doctor": (987654, people.doctor_times[0]),
        "unstorable doctor": (2**63, people.doctor_times[0]),
        "unstorable time": (people.doctor.doctor_id, 10**30),
    }[which]
    appointment = _booked(people, doctor_id, time_id)
    async with any_container.unit_of_work() as uow:
        assert await uow.appointments.book(appointment) is BookingOutcome.TIME_NOT_OFFERED
        await uow.commit()
    assert appointment.id is None
    assert await listed(any_container) == []


@pytest.mark.parametrize("after_a_read", [False, True], ids=["first statement", "after an ORM read"])
async def test_book_for_a_patient_removed_meanwhile_is_a_conflict(any_container, people, after_a_read):
    appointment = _booked(people, people.doctor.doctor_id, people.doctor_times[0])
    appointment.patient_id = 987654  # as if deleted after the caller was identified (a foreign key in SQL)
    with pytest.raises(ConflictError) as refused:
        async with any_container.unit_of_work() as uow:
            if after_a_read:  # on SQLAlchemy the insert then runs in the session's transaction
                await uow.appointments.get(1)
            await uow.appointments.book(appointment)
            await uow.commit()
    assert refused.value.errors == {"non_field_errors": [REMOVED_WHILE_BOOKING]}
    assert await listed(any_container) == []


async def test_book_sees_the_doctors_times_as_they_are_now(any_container, people):
    async with any_container.unit_of_work() as uow:
        doctor = await uow.doctors.get(people.doctor.doctor_id)
        doctor.available_time_ids = [people.other_doctor_times[0]]
        await uow.doctors.save(doctor)
        await uow.commit()
    async with any_container.unit_of_work() as uow:
        old = _booked(people, doctor.id, people.doctor_times[0])
        new = _booked(people, doctor.id, people.other_doctor_times[0])
        assert await uow.appointments.book(old) is BookingOutcome.TIME_NOT_OFFERED
        assert await uow.appointments.book(new) is BookingOutcome.BOOKED
        await uow.commit()


# --- a booking's transaction (the port's restriction, on every adapter) ------------------------------------

@pytest.mark.parametrize("end", ["commit", "rollback"])
async def test_a_booking_as_the_first_write_refuses_the_other_repositories_until_it_ends(any_container, people, end):
    appointment = _booked(people, people.doctor.doctor_id, people.doctor_times[0])
    async with any_container.unit_of_work() as uow:
        assert await uow.appointments.book(appointment) is BookingOutcome.BOOKED
        # What a booking's transaction still offers, seeing its own write:
        assert await uow.doctors.available_time_ids(people.doctor.doctor_id) == people.doctor_times
        # ... and the read side, which sees committed rows only, not yet:
        assert await listed(any_container) == []
        assert await uow.appointments.book(_booked(people, people.doctor.doctor_id, people.doctor_times[1])) \
            is BookingOutcome.BOOKED
        # The appointments themselves are read and changed in the same transaction:
        assert fields(await uow.appointments.get(appointment.id)) == fields(appointment)
        # and what it refuses (the repositories the SQL store serves through its ORM session):
        with pytest.raises(SessionUnavailableError):
            await uow.revoked_tokens.is_revoked("0" * 32)
        await getattr(uow, end)()
        assert not await uow.revoked_tokens.is_revoked("0" * 32)  # available again
    assert len(await listed(any_container)) == (2 if end == "commit" else 0)


async def test_a_repository_used_before_the_booking_makes_it_join_the_units_ordinary_transaction(
        any_container, people):
    appointment = _booked(people, people.doctor.doctor_id, people.doctor_times[0])
    async with any_container.unit_of_work() as uow:
        assert not await uow.revoked_tokens.is_revoked("0" * 32)
        assert await uow.appointments.book(appointment) is BookingOutcome.BOOKED
        assert fields(await uow.appointments.get(appointment.id)) == fields(appointment)
        await uow.commit()
    assert await listed(any_container) == [appointment.id]


async def test_delete(any_container, people):
    added = await add(any_container, people)
    async with any_container.unit_of_work() as uow:
        await uow.appointments.delete(await uow.appointments.get(added.id))
        await uow.commit()
    async with any_container.unit_of_work() as uow:
        assert await uow.appointments.get(added.id) is None


async def test_exists_between(any_container, people):
    await add(any_container, people)
    async with any_container.unit_of_work() as uow:
        between = uow.appointments.exists_between
        assert await between(patient_id=people.owner.patient_id, doctor_id=people.doctor.doctor_id)
        assert not await between(patient_id=people.owner.patient_id, doctor_id=people.other_doctor.doctor_id)
        assert not await between(patient_id=people.other_patient.patient_id, doctor_id=people.doctor.doctor_id)


async def test_deleting_the_patient_deletes_their_appointments(any_container, people):
    added = await add(any_container, people)
    kept = await add(any_container, people, patient=people.other_patient)
    async with any_container.unit_of_work() as uow:
        await uow.patients.delete(await uow.patients.get(people.owner.patient_id))
        await uow.commit()
    async with any_container.unit_of_work() as uow:
        assert await uow.appointments.get(added.id) is None
        assert await uow.appointments.get(kept.id) is not None


# --- the list query --------------------------------------------------------------------------------

async def listed(container, scope=None, page=None, **filters) -> list[int]:
    result = await container.read_side().appointments.list(page=page or PageRequest.of(), scope=scope, **filters)
    return [row.id for row in result.items]


async def test_rows_carry_the_wire_strings(any_container, people):
    added = await add(any_container, people, appointment_type="Offline", status=AppointmentStatus.COMPLETED)
    (row,) = (await any_container.read_side().appointments.list(page=PageRequest.of(), scope=None)).items
    assert row == AppointmentRow(
        id=added.id, patient=people.owner.patient_id, doctor=people.doctor.doctor_id,
        appointment_type="Offline", appointment_status="Complated", symptoms="cough", time=people.doctor_times[0],
        cancel=False,
    )


async def test_scopes(any_container, people):
    mine = await add(any_container, people)
    theirs = await add(any_container, people, patient=people.other_patient, doctor=people.other_doctor)
    doctors_own = await add(any_container, people, patient=people.doctor, doctor=people.other_doctor, time_index=1)
    owner, doctor = people.owner, people.doctor
    assert await listed(any_container) == [mine.id, theirs.id, doctors_own.id]
    assert await listed(any_container, AppointmentScope(patient_id=owner.patient_id)) == [mine.id]
    assert await listed(any_container, AppointmentScope(doctor_id=doctor.doctor_id)) == [mine.id]
    assert await listed(any_container, AppointmentScope(patient_id=doctor.patient_id, doctor_id=doctor.doctor_id)) == [
        mine.id, doctors_own.id]
    assert await listed(any_container, AppointmentScope()) == []


async def test_one_is_read_within_the_scope_as_the_list_shows_it(any_container, people):
    mine = await add(any_container, people)
    theirs = await add(any_container, people, patient=people.other_patient, doctor=people.other_doctor)
    reads = any_container.read_side().appointments
    (listed_row,) = [row for row in (await reads.list(page=PageRequest.of(), scope=None)).items if row.id == mine.id]
    assert await reads.get(mine.id, scope=None) == listed_row
    assert await reads.get(mine.id, scope=AppointmentScope(patient_id=people.owner.patient_id)) == listed_row
    assert await reads.get(mine.id, scope=AppointmentScope(doctor_id=people.doctor.doctor_id)) == listed_row
    assert await reads.get(theirs.id, scope=AppointmentScope(patient_id=people.owner.patient_id,
                                                             doctor_id=people.doctor.doctor_id)) is None
    assert await reads.get(mine.id, scope=AppointmentScope()) is None
    assert [await reads.get(wanted, scope=None) for wanted in (0, 987654, 2**31, 10**30)] == [None] * 4


async def test_filters_narrow_within_the_scope(any_container, people):
    mine = await add(any_container, people)
    theirs = await add(any_container, people, patient=people.other_patient, doctor=people.other_doctor)
    assert await listed(any_container, patient_id=people.other_patient.patient_id) == [theirs.id]
    assert await listed(any_container, doctor_id=people.doctor.doctor_id) == [mine.id]
    scope = AppointmentScope(patient_id=people.owner.patient_id)
    assert await listed(any_container, scope, patient_id=people.other_patient.patient_id) == []
    assert await listed(any_container, scope, doctor_id=people.other_doctor.doctor_id) == []


@pytest.mark.parametrize("wanted", [0, -5, 2**31, 10**30])
async def test_filters_by_ids_no_table_can_hold_match_nothing(any_container, people, wanted):
    await add(any_container, people)
    assert await listed(any_container, patient_id=wanted) == []
    assert await listed(any_container, doctor_id=wanted) == []


async def test_pages_in_id_order(any_container, people):
    ids = [(await add(any_container, people, time_index=i % 3)).id for i in range(5)]
    appointments = any_container.read_side().appointments
    second = await appointments.list(page=PageRequest.of(2, 2), scope=None)
    last = await appointments.list(page=PageRequest.of(3, 2), scope=None)
    with pytest.raises(InvalidPageError):
        await appointments.list(page=PageRequest.of(4, 2), scope=None)
    assert ([row.id for row in second.items], second.total) == (ids[2:4], 5)
    assert [row.id for row in last.items] == ids[4:]


# --- the dated filters (SCHEDULING.md section 5) ---------------------------------------------------

async def add_dated(container, people: Cast, start: datetime, patient=None, doctor=None, **fields) -> Appointment:
    patient = patient or people.owner
    doctor = doctor or people.doctor
    appointment = Appointment.book_dated(patient.patient_id, doctor.doctor_id, start=start,
                                         end=start + timedelta(minutes=30), time_id=None,
                                         appointment_type="Online", symptoms="cough")
    for name, value in fields.items():
        setattr(appointment, name, value)
    async with container.unit_of_work() as uow:
        await uow.appointments.add(appointment)
        await uow.commit()
    return appointment


async def test_the_dated_filters_on_every_read_side(any_container, people):
    undated = await add(any_container, people)
    monday = datetime(2027, 1, 4, 9, tzinfo=UTC)
    early = await add_dated(any_container, people, monday)
    midnight = await add_dated(any_container, people, datetime(2027, 1, 5, tzinfo=UTC))
    late = await add_dated(any_container, people, datetime(2027, 1, 5, 23, 30, tzinfo=UTC),
                           fhir_status=FhirStatus.CANCELLED, cancelled=True)
    other = await add_dated(any_container, people, monday, patient=people.other_patient, doctor=people.other_doctor,
                            fhir_status=FhirStatus.ARRIVED)
    jan5 = datetime(2027, 1, 5, tzinfo=UTC)
    jan6 = datetime(2027, 1, 6, tzinfo=UTC)
    assert await listed(any_container, when=AppointmentWhen()) == [undated.id, early.id, midnight.id, late.id, other.id]
    assert await listed(any_container, when=AppointmentWhen(status="proposed")) == [undated.id]
    assert await listed(any_container, when=AppointmentWhen(status="booked")) == [early.id, midnight.id]
    assert await listed(any_container, when=AppointmentWhen(status="noshow")) == []
    # A bound on start leaves the undated out; from is included, before is not.
    assert await listed(any_container, when=AppointmentWhen(starts_from=jan5)) == [midnight.id, late.id]
    assert await listed(any_container, when=AppointmentWhen(starts_before=jan5)) == [early.id, other.id]
    assert await listed(any_container, when=AppointmentWhen(starts_from=jan5, starts_before=jan6)) == [
        midnight.id, late.id]
    # Instants given in another zone are the same instants.
    new_york = ZoneInfo("America/New_York")
    assert await listed(any_container, when=AppointmentWhen(starts_from=jan5.astimezone(new_york))) == [
        midnight.id, late.id]
    assert await listed(any_container, when=AppointmentWhen(status="cancelled", starts_from=jan5)) == [late.id]
    # Within the scope and the other filters, never beyond them.
    scope = AppointmentScope(patient_id=people.owner.patient_id)
    assert await listed(any_container, scope, when=AppointmentWhen(starts_before=jan6)) == [
        early.id, midnight.id, late.id]
    assert await listed(any_container, doctor_id=people.other_doctor.doctor_id,
                        when=AppointmentWhen(status="arrived")) == [other.id]
    page = await any_container.read_side().appointments.list(page=PageRequest.of(1, 1), scope=None,
                                                              when=AppointmentWhen(starts_from=jan5))
    assert ([row.id for row in page.items], page.total) == ([midnight.id], 2)
