"""Appointment use cases on the in-memory adapters: who may do what, booking, the status lifecycle."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hospital.adapters.memory.appointments import InMemoryAppointmentRepository
from hospital.application.actor import ANONYMOUS
from hospital.application.appointments import TIMES_CHANGED, AppointmentChanges, Booking
from hospital.application.errors import AuthenticationError
from hospital.application.pagination import PageRequest
from hospital.application.ports.appointments import BookingOutcome
from hospital.domain.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from tests.support.clinic import Cast, cast

VALID_TYPES = "Valid choices: Online, Offline."

PAGE = PageRequest.of()
ACTORS = ["anonymous", "owner", "other_patient", "doctor", "other_doctor", "admin"]


@pytest.fixture
async def people(container) -> Cast:
    return await cast(container)


def actor(people: Cast, name: str):
    return ANONYMOUS if name == "anonymous" else people.by_name(name)


async def book(container, people: Cast, **fields):
    """The owner books the doctor's first time, unless told otherwise."""
    values = {"doctor": people.doctor.doctor_id, "time": people.doctor_times[0], "appointment_type": "Online",
              "symptoms": "cough"}
    values.update(fields)
    by = values.pop("by", people.owner)
    return await container.book_appointment()(by, Booking(**values))


async def stored(container, people: Cast, appointment_id: int):
    return await container.get_appointment()(people.admin, appointment_id)


# --- booking ---------------------------------------------------------------------------------------

async def test_a_patient_books_for_themself_and_it_starts_pending(container, people):
    row = await book(container, people)
    assert (row.patient, row.doctor, row.time) == (
        people.owner.patient_id, people.doctor.doctor_id, people.doctor_times[0])
    assert (row.appointment_type, row.appointment_status, row.symptoms, row.cancel) == (
        "Online", "Pendding", "cough", False)
    assert await stored(container, people, row.id) == row


async def test_anonymous_cannot_book(container, people):
    with pytest.raises(AuthenticationError):
        await book(container, people, by=ANONYMOUS)


async def test_a_user_without_a_patient_record_cannot_book(container, people):
    await container.delete_patient()(people.owner, people.owner.patient_id)
    with pytest.raises(PermissionDeniedError):
        await book(container, people, by=replace(people.owner, patient_id=None))


async def test_a_doctor_books_as_a_patient_with_another_doctor(container, people):
    row = await book(container, people, by=people.doctor, doctor=people.other_doctor.doctor_id,
                     time=people.other_doctor_times[0])
    assert row.patient == people.doctor.patient_id


async def test_the_doctor_must_exist(container, people):
    with pytest.raises(ValidationError) as error:
        await book(container, people, doctor=999_999)
    assert error.value.errors == {"doctor": ['Invalid pk "999999" - object does not exist.']}


def _refusing_inserts(monkeypatch, times: int) -> list[int]:
    """The store refuses the first ``times`` inserts, as if the doctor's times changed just then."""
    real = InMemoryAppointmentRepository.book
    calls: list[int] = []

    async def book(self, appointment):
        calls.append(appointment.time_id)
        return BookingOutcome.TIME_NOT_OFFERED if len(calls) <= times else await real(self, appointment)

    monkeypatch.setattr(InMemoryAppointmentRepository, "book", book)
    return calls


async def test_a_refused_insert_is_retried_when_the_doctors_times_say_the_time_is_offered(container, people,
                                                                                          monkeypatch):
    calls = _refusing_inserts(monkeypatch, times=1)
    row = await book(container, people)
    assert calls == [people.doctor_times[0]] * 2
    assert await stored(container, people, row.id) == row


async def test_times_that_keep_changing_during_the_booking_end_in_a_conflict_and_store_nothing(container, people,
                                                                                              monkeypatch):
    calls = _refusing_inserts(monkeypatch, times=100)
    with pytest.raises(ConflictError) as error:
        await book(container, people)
    assert error.value.errors == {"time": [TIMES_CHANGED]}
    assert len(calls) == 4  # the first try, then three reads of the doctor's times, each followed by a try
    assert (await container.list_appointments()(people.admin, page=PAGE)).total == 0


async def test_an_unknown_doctor_and_a_bad_type_are_reported_together(container, people):
    with pytest.raises(ValidationError) as error:
        await book(container, people, doctor=999_999, appointment_type="Onsite")
    assert set(error.value.errors) == {"doctor", "appointment_type"}


@pytest.mark.parametrize("time", ["other doctor's", "unknown"])
async def test_the_time_must_be_one_of_the_doctors(container, people, time):
    time_id = people.other_doctor_times[0] if time == "other doctor's" else 424242
    with pytest.raises(ValidationError) as error:
        await book(container, people, time=time_id)
    assert error.value.errors == {"time": ["This time is not one of the doctor's available times."]}


@pytest.mark.parametrize(("sent", "stored_as"), [("Online", "Online"), ("offline", "Offline"), ("OFFLINE", "Offline")])
async def test_appointment_type_online_or_offline_in_any_case(container, people, sent, stored_as):
    assert (await book(container, people, appointment_type=sent)).appointment_type == stored_as


async def test_appointment_type_refuses_anything_else(container, people):
    with pytest.raises(ValidationError) as error:
        await book(container, people, appointment_type="Phone")
    assert error.value.errors == {"appointment_type": [f'"Phone" is not a valid choice. {VALID_TYPES}']}


async def test_cancel_true_on_create_books_then_cancels(container, people):
    row = await book(container, people, cancel=True)
    assert (row.cancel, row.appointment_status) == (True, "Pendding")


@pytest.mark.parametrize("status", ["Pendding", "pending", "PENDING"])
async def test_the_starting_status_may_be_sent(container, people, status):
    assert (await book(container, people, appointment_status=status)).appointment_status == "Pendding"


@pytest.mark.parametrize("status", ["Runing", "Complated", "Running", "completed"])
async def test_no_one_books_straight_into_a_later_status(container, people, status):
    for by in (people.owner, people.admin):
        with pytest.raises(PermissionDeniedError):
            await book(container, people, by=by, appointment_status=status)
    assert (await container.list_appointments()(people.admin, page=PAGE)).total == 0


async def test_an_unknown_status_on_create_is_invalid(container, people):
    with pytest.raises(ValidationError) as error:
        await book(container, people, appointment_status="Done")
    assert set(error.value.errors) == {"appointment_status"}


# --- reading and listing ---------------------------------------------------------------------------

READ = {"anonymous": AuthenticationError, "owner": None, "other_patient": NotFoundError, "doctor": None,
        "other_doctor": NotFoundError, "admin": None}


@pytest.mark.parametrize("name", ACTORS)
async def test_who_may_read_an_appointment(container, people, name):
    row = await book(container, people)
    get = container.get_appointment()
    if READ[name] is None:
        assert (await get(actor(people, name), row.id)) == row
    else:
        with pytest.raises(READ[name]):
            await get(actor(people, name), row.id)


async def test_an_unknown_id_is_not_found(container, people):
    with pytest.raises(NotFoundError):
        await container.get_appointment()(people.admin, 12345)


async def test_lists_are_scoped_to_the_caller(container, people):
    mine = await book(container, people)
    theirs = await book(container, people, by=people.other_patient, doctor=people.other_doctor.doctor_id,
                        time=people.other_doctor_times[0])
    # The doctor also books, as a patient, with the other doctor.
    doctors_own = await book(container, people, by=people.doctor, doctor=people.other_doctor.doctor_id,
                             time=people.other_doctor_times[1])
    expected = {
        "owner": [mine.id], "other_patient": [theirs.id], "doctor": [mine.id, doctors_own.id],
        "other_doctor": [theirs.id, doctors_own.id], "admin": [mine.id, theirs.id, doctors_own.id],
    }
    for name, ids in expected.items():
        page = await container.list_appointments()(actor(people, name), page=PAGE)
        assert [row.id for row in page.items] == ids, name
        assert page.total == len(ids)
    with pytest.raises(AuthenticationError):
        await container.list_appointments()(ANONYMOUS, page=PAGE)


async def test_filters_narrow_the_scope_and_never_widen_it(container, people):
    mine = await book(container, people)
    await book(container, people, by=people.other_patient, doctor=people.other_doctor.doctor_id,
               time=people.other_doctor_times[0])
    listing = container.list_appointments()
    assert [r.id for r in (await listing(people.admin, page=PAGE, patient_id=people.owner.patient_id)).items] == [
        mine.id]
    assert [r.id for r in (await listing(people.admin, page=PAGE, doctor_id=people.doctor.doctor_id)).items] == [
        mine.id]
    assert (await listing(people.other_patient, page=PAGE, patient_id=people.owner.patient_id)).total == 0
    assert (await listing(people.other_doctor, page=PAGE, doctor_id=people.doctor.doctor_id)).total == 0
    assert (await listing(people.admin, page=PAGE, patient_id=people.owner.patient_id,
                          doctor_id=people.other_doctor.doctor_id)).total == 0


async def test_a_user_who_is_neither_patient_nor_doctor_lists_nothing(container, people):
    await book(container, people)
    await container.delete_patient()(people.owner, people.owner.patient_id)
    await book(container, people, by=people.other_patient)
    page = await container.list_appointments()(replace(people.owner, patient_id=None), page=PAGE)
    assert page.total == 0


# --- changing --------------------------------------------------------------------------------------

DETAILS = {"anonymous": AuthenticationError, "owner": None, "other_patient": NotFoundError, "doctor": None,
           "other_doctor": NotFoundError, "admin": None}
STATUS = {"anonymous": AuthenticationError, "owner": PermissionDeniedError, "other_patient": NotFoundError,
          "doctor": None, "other_doctor": NotFoundError, "admin": None}


@pytest.mark.parametrize("name", ACTORS)
async def test_who_may_change_the_details(container, people, name):
    row = await book(container, people)
    changes = AppointmentChanges(symptoms="fever", appointment_type="Offline", time=people.doctor_times[1])
    change = container.change_appointment()
    if DETAILS[name] is None:
        changed = await change(actor(people, name), row.id, changes)
        assert (changed.symptoms, changed.appointment_type, changed.time) == (
            "fever", "Offline", people.doctor_times[1])
    else:
        with pytest.raises(DETAILS[name]):
            await change(actor(people, name), row.id, changes)
        assert await stored(container, people, row.id) == row


@pytest.mark.parametrize("name", ACTORS)
async def test_who_may_move_the_status(container, people, name):
    row = await book(container, people)
    change = container.change_appointment()
    if STATUS[name] is None:
        assert (await change(actor(people, name), row.id, AppointmentChanges(
            appointment_status="Runing"))).appointment_status == "Runing"
    else:
        with pytest.raises(STATUS[name]):
            await change(actor(people, name), row.id, AppointmentChanges(appointment_status="Runing"))
        assert await stored(container, people, row.id) == row


@pytest.mark.parametrize("name", ACTORS)
async def test_who_may_cancel(container, people, name):
    row = await book(container, people)
    change = container.change_appointment()
    if DETAILS[name] is None:
        assert (await change(actor(people, name), row.id, AppointmentChanges(cancel=True))).cancel is True
    else:
        with pytest.raises(DETAILS[name]):
            await change(actor(people, name), row.id, AppointmentChanges(cancel=True))
        assert (await stored(container, people, row.id)).cancel is False


async def test_the_whole_lifecycle_through_the_use_case(container, people):
    row = await book(container, people)
    change = container.change_appointment()
    assert (await change(people.doctor, row.id, AppointmentChanges(
        appointment_status="Running"))).appointment_status == "Runing"
    assert (await change(people.doctor, row.id, AppointmentChanges(
        appointment_status="Complated"))).appointment_status == "Complated"
    assert (await stored(container, people, row.id)).appointment_status == "Complated"


async def test_status_cannot_skip_or_go_back(container, people):
    row = await book(container, people)
    change = container.change_appointment()
    with pytest.raises(ValidationError) as error:
        await change(people.doctor, row.id, AppointmentChanges(appointment_status="Completed"))
    assert set(error.value.errors) == {"appointment_status"}
    await change(people.doctor, row.id, AppointmentChanges(appointment_status="Runing"))
    with pytest.raises(ValidationError):
        await change(people.admin, row.id, AppointmentChanges(appointment_status="Pendding"))
    assert (await stored(container, people, row.id)).appointment_status == "Runing"


async def test_the_patient_sending_the_current_status_is_no_change(container, people):
    row = await book(container, people)
    changed = await container.change_appointment()(people.owner, row.id,
                                                   AppointmentChanges(appointment_status="Pendding", symptoms="fever"))
    assert (changed.appointment_status, changed.symptoms) == ("Pendding", "fever")


async def test_a_patients_status_change_refuses_the_whole_request(container, people):
    row = await book(container, people)
    with pytest.raises(PermissionDeniedError):
        await container.change_appointment()(people.owner, row.id,
                                             AppointmentChanges(
                                                 symptoms="fever", cancel=True, appointment_status="Runing"))
    assert await stored(container, people, row.id) == row


async def test_a_cancelled_appointment_cannot_start(container, people):
    row = await book(container, people, cancel=True)
    with pytest.raises(ValidationError) as error:
        await container.change_appointment()(people.doctor, row.id, AppointmentChanges(appointment_status="Runing"))
    assert set(error.value.errors) == {"appointment_status"}
    assert (await stored(container, people, row.id)).appointment_status == "Pendding"


async def test_cancel_and_start_in_one_request_is_refused(container, people):
    row = await book(container, people)
    with pytest.raises(ValidationError):
        await container.change_appointment()(people.doctor, row.id, AppointmentChanges(
            cancel=True, appointment_status="Runing"))
    assert await stored(container, people, row.id) == row


@pytest.mark.parametrize("status", ["Runing", "Complated"])
async def test_a_started_or_completed_appointment_cannot_be_cancelled(container, people, status):
    row = await book(container, people)
    change = container.change_appointment()
    await change(people.doctor, row.id, AppointmentChanges(appointment_status="Runing"))
    if status == "Complated":
        await change(people.doctor, row.id, AppointmentChanges(appointment_status="Complated"))
    with pytest.raises(ValidationError) as error:
        await change(people.owner, row.id, AppointmentChanges(cancel=True))
    assert set(error.value.errors) == {"cancel"}
    assert (await stored(container, people, row.id)).cancel is False


async def test_a_cancelled_appointment_cannot_be_reopened_but_repeating_cancel_is_fine(container, people):
    row = await book(container, people, cancel=True)
    change = container.change_appointment()
    assert (await change(people.owner, row.id, AppointmentChanges(cancel=True))).cancel is True
    with pytest.raises(ValidationError) as error:
        await change(people.owner, row.id, AppointmentChanges(cancel=False))
    assert set(error.value.errors) == {"cancel"}


async def test_details_are_frozen_once_running(container, people):
    row = await book(container, people)
    change = container.change_appointment()
    await change(people.doctor, row.id, AppointmentChanges(appointment_status="Runing"))
    for changes in (AppointmentChanges(symptoms="fever"), AppointmentChanges(time=people.doctor_times[1]),
                    AppointmentChanges(appointment_type="Offline")):
        with pytest.raises(ValidationError):
            await change(people.owner, row.id, changes)
    # Repeating the current values (what a PUT does) is not a change.
    same = AppointmentChanges(doctor=row.doctor, time=row.time, appointment_type="Online",
                              symptoms="cough", cancel=False, appointment_status="Runing")
    assert (await change(people.owner, row.id, same)).appointment_status == "Runing"


async def test_the_doctor_cannot_be_changed(container, people):
    row = await book(container, people)
    with pytest.raises(ValidationError) as error:
        await container.change_appointment()(people.admin, row.id,
                                             AppointmentChanges(doctor=people.other_doctor.doctor_id))
    assert error.value.errors == {"doctor": ["The doctor of an appointment cannot be changed."]}
    assert (await container.change_appointment()(people.owner, row.id, AppointmentChanges(
        doctor=people.doctor.doctor_id, symptoms="fever"))).symptoms == "fever"


async def test_rescheduling_keeps_to_the_doctors_times(container, people):
    row = await book(container, people)
    with pytest.raises(ValidationError) as error:
        await container.change_appointment()(people.owner, row.id,
                                             AppointmentChanges(time=people.other_doctor_times[0]))
    assert set(error.value.errors) == {"time"}
    assert (await stored(container, people, row.id)).time == people.doctor_times[0]


# --- deleting --------------------------------------------------------------------------------------

DELETE = {"anonymous": AuthenticationError, "owner": None, "other_patient": NotFoundError,
          "doctor": PermissionDeniedError, "other_doctor": NotFoundError, "admin": None}


@pytest.mark.parametrize("name", ACTORS)
async def test_who_may_delete(container, people, name):
    row = await book(container, people)
    if DELETE[name] is None:
        await container.delete_appointment()(actor(people, name), row.id)
        with pytest.raises(NotFoundError):
            await stored(container, people, row.id)
    else:
        with pytest.raises(DELETE[name]):
            await container.delete_appointment()(actor(people, name), row.id)
        assert await stored(container, people, row.id) == row
