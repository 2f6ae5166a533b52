"""The status machine of SCHEDULING.md section 6: every move, allowed and refused, and its projections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from hospital.domain.actors import Actor
from hospital.domain.appointment_lifecycle import MOVES, FhirStatus, check_move
from hospital.domain.appointments import Appointment, AppointmentStatus, AppointmentType, status_of_legacy_fields
from hospital.domain.doctor_schedules import LONGEST_APPOINTMENT
from hospital.domain.errors import NotFoundError, PermissionDeniedError, ValidationError

P, B, A, C, F, X, N, E = FhirStatus
ALLOWED = {(P, C), (P, X), (P, E), (B, A), (B, C), (B, N), (B, X), (B, E), (A, C), (A, N), (A, X), (C, F), (C, E)}
START = datetime(2027, 1, 4, 14, tzinfo=UTC)
AFTER, BEFORE = START + timedelta(minutes=1), START - timedelta(minutes=1)

PATIENT = Actor(user_id=1, patient_id=10)
DOCTOR = Actor(user_id=3, patient_id=12, doctor_id=20)
ADMIN = Actor(user_id=5, is_staff=True, patient_id=14)
STRANGER = Actor(user_id=7, patient_id=15)


def test_the_table_is_the_contract():
    assert {(a, b) for a, targets in MOVES.items() for b in targets} == ALLOWED
    assert {status for status in FhirStatus if status.is_final} == {F, X, N, E}
    assert {status for status in FhirStatus if status.occupies_time} == {B, A, C, F}


@pytest.mark.parametrize(("current", "target"), list(product(FhirStatus, FhirStatus)))
def test_every_move(current, target):
    if (current, target) in ALLOWED:
        check_move(current, target, start=START, now=AFTER)
    else:
        with pytest.raises(ValidationError) as error:
            check_move(current, target, start=START, now=AFTER)
        assert list(error.value.errors) == ["status"]


@pytest.mark.parametrize("current", [B, A])
def test_noshow_only_once_the_start_has_passed(current):
    with pytest.raises(ValidationError):
        check_move(current, N, start=START, now=BEFORE)
    with pytest.raises(ValidationError):
        check_move(current, N, start=None, now=AFTER)
    check_move(current, N, start=START, now=START)


def dated(status: FhirStatus = B) -> Appointment:
    appointment = Appointment.book_dated(10, 20, start=START, end=START + timedelta(minutes=30), time_id=100,
                                         appointment_type="Online", symptoms="")
    appointment.id = 1
    appointment.fhir_status = status
    return appointment


@pytest.mark.parametrize(("target", "legacy", "cancelled"), [
    (A, AppointmentStatus.PENDING, False), (C, AppointmentStatus.RUNNING, False), (N, AppointmentStatus.PENDING, False),
    (X, AppointmentStatus.PENDING, True), (E, AppointmentStatus.PENDING, False),
])
def test_a_move_from_booked_sets_the_guides_fields_as_section_6_says(target, legacy, cancelled):
    appointment = dated()
    appointment.change_status(DOCTOR, target, now=AFTER)
    assert (appointment.fhir_status, appointment.status, appointment.cancelled) == (target, legacy, cancelled)


def test_checked_in_then_fulfilled_reads_runing_then_complated():
    appointment = dated(A)
    appointment.change_status(ADMIN, C, now=AFTER)
    appointment.change_status(ADMIN, F, now=AFTER)
    assert appointment.status is AppointmentStatus.COMPLETED and appointment.occupies_time


def test_who_moves_the_status():
    with pytest.raises(PermissionDeniedError):
        dated().change_status(PATIENT, A, now=AFTER)
    with pytest.raises(NotFoundError):
        dated().change_status(STRANGER, A, now=AFTER)
    with pytest.raises(ValidationError) as error:
        dated().change_status(DOCTOR, "done", now=AFTER)
    assert list(error.value.errors) == ["status"]


def test_occupying_follows_the_status_and_the_date():
    assert dated(B).occupies_time and dated(F).occupies_time
    assert not dated(X).occupies_time and not dated(N).occupies_time and not dated(E).occupies_time
    undated = Appointment.book(10, 20, 100, AppointmentType.ONLINE, "", {100})
    assert undated.fhir_status is P and not undated.occupies_time


@pytest.mark.parametrize(("legacy", "cancelled", "status"), [
    (AppointmentStatus.PENDING, False, P), (AppointmentStatus.RUNNING, False, C),
    (AppointmentStatus.COMPLETED, False, F), (AppointmentStatus.PENDING, True, X),
])
def test_existing_appointments_get_their_status_from_the_guides_fields(legacy, cancelled, status):
    assert status_of_legacy_fields(legacy, cancelled) is status


# --- cancel ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("actor", "reason"), [(PATIENT, "pat"), (DOCTOR, "prov"), (ADMIN, "other")])
def test_cancel_records_who_when_and_why(actor, reason):
    appointment = dated()
    appointment.cancel(actor, at=AFTER)
    assert (appointment.fhir_status, appointment.cancelled, appointment.cancelled_by, appointment.cancelled_at,
            appointment.cancellation_reason) == (X, True, actor.user_id, AFTER, reason)
    assert not appointment.occupies_time


def test_cancel_with_a_reason_and_a_note():
    appointment = dated(A)
    appointment.cancel(PATIENT, reason="pat-mv", note="moved away", at=AFTER)
    assert (appointment.cancellation_reason, appointment.cancellation_note) == ("pat-mv", "moved away")


def test_cancel_refuses_an_unknown_reason_and_changes_nothing():
    appointment = dated()
    with pytest.raises(ValidationError) as error:
        appointment.cancel(PATIENT, reason="bored", at=AFTER)
    assert list(error.value.errors) == ["reason"] and appointment.fhir_status is B


@pytest.mark.parametrize("status", [C, F, X, N, E])
def test_cancel_refuses_what_cannot_move_to_cancelled(status):
    appointment = dated(status)
    appointment.cancelled = status is X
    appointment.status = {C: AppointmentStatus.RUNNING, F: AppointmentStatus.COMPLETED}.get(
        status, AppointmentStatus.PENDING)
    with pytest.raises(ValidationError):
        appointment.cancel(ADMIN, at=AFTER)


def test_strangers_cannot_cancel():
    with pytest.raises(NotFoundError):
        dated().cancel(STRANGER, at=AFTER)


# --- reschedule --------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [P, B, A])
def test_reschedulable_while_it_may_still_be_cancelled(status):
    for actor in (PATIENT, DOCTOR, ADMIN):
        dated(status).ensure_reschedulable_by(actor)


@pytest.mark.parametrize("status", [C, F, X, N, E])
def test_not_reschedulable_once_under_way_or_final(status):
    with pytest.raises(ValidationError):
        dated(status).ensure_reschedulable_by(PATIENT)


def test_a_dated_appointment_refuses_the_guides_change_of_time():
    with pytest.raises(ValidationError) as error:
        dated().reschedule(PATIENT, 101, {100, 101})
    assert list(error.value.errors) == ["time"]


@pytest.mark.parametrize("status", [N, E])
def test_the_guides_writes_cannot_reopen_a_final_status(status):
    appointment = dated(status)
    with pytest.raises(ValidationError):
        appointment.start(DOCTOR)
    with pytest.raises(ValidationError):
        appointment.revise(PATIENT, symptoms="changed")


@pytest.mark.parametrize("length", [timedelta(0), timedelta(minutes=-15),
                                    LONGEST_APPOINTMENT + timedelta(microseconds=1)])
def test_a_dated_booking_is_one_slot_long_at_most(length):
    """Listings read only the appointments ending by their span's end plus the longest slot
    (adapters/sqlalchemy/schedules.py): a longer one could hide a busy time from them."""
    with pytest.raises(ValueError, match="not a slot's span"):
        Appointment.book_dated(10, 20, start=START, end=START + length, time_id=100,
                               appointment_type="Online", symptoms="")


def test_the_longest_slot_is_a_bookable_span():
    appointment = Appointment.book_dated(10, 20, start=START, end=START + LONGEST_APPOINTMENT, time_id=100,
                                         appointment_type="Online", symptoms="")
    assert appointment.ends_at - appointment.starts_at == LONGEST_APPOINTMENT
