from __future__ import annotations

from dataclasses import asdict

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from hospital.domain.actors import ANONYMOUS, Actor
from hospital.domain.appointments import (
    SYMPTOMS_MAX,
    Appointment,
    AppointmentStatus,
    AppointmentType,
)
from hospital.domain.errors import DomainError, NotFoundError, PermissionDeniedError, ValidationError
from tests.conftest import properties

VALID_TYPES = "Valid choices: Online, Offline."
VALID_STATUSES = "Valid choices: Pendding, Runing, Complated."

PENDING, RUNNING, COMPLETED = AppointmentStatus
PATIENT_ID, DOCTOR_ID = 10, 20
DOCTOR_TIMES = frozenset({100, 101, 102})

OWNER = Actor(user_id=1, patient_id=PATIENT_ID)
OTHER_PATIENT = Actor(user_id=2, patient_id=11)
# Every user is a patient too, so the doctors carry a patient record of their own.
DOCTOR = Actor(user_id=3, patient_id=12, doctor_id=DOCTOR_ID)
OTHER_DOCTOR = Actor(user_id=4, patient_id=13, doctor_id=21)
ADMIN = Actor(user_id=5, is_staff=True, patient_id=14)
# is_staff without a login is not an admin.
LOGGED_OUT_STAFF = Actor(is_staff=True)

ACTORS = {
    "owner": OWNER, "other_patient": OTHER_PATIENT, "doctor": DOCTOR, "other_doctor": OTHER_DOCTOR,
    "admin": ADMIN, "anonymous": ANONYMOUS, "logged_out_staff": LOGGED_OUT_STAFF,
}
STRANGERS = [OTHER_PATIENT, OTHER_DOCTOR, ANONYMOUS, LOGGED_OUT_STAFF]
CARERS = [DOCTOR, ADMIN]


def booked(**changes: object) -> Appointment:
    appointment = Appointment.book(PATIENT_ID, DOCTOR_ID, 100, "Online", "cough", DOCTOR_TIMES)
    for name, value in changes.items():
        setattr(appointment, name, value)
    return appointment


def field_errors(error: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(error.value.errors)


# --- enums -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("Pendding", PENDING), ("Runing", RUNNING), ("Complated", COMPLETED),
    ("Pending", PENDING), ("Running", RUNNING), ("Completed", COMPLETED),
    ("pendding", PENDING), ("RUNING", RUNNING), ("cOmPlEtEd", COMPLETED),
])
def test_status_parse_accepts_wire_and_correct_spellings_in_any_case(raw, expected):
    assert AppointmentStatus.parse(raw) is expected


def test_status_values_are_the_original_wire_spellings():
    assert [status.value for status in AppointmentStatus] == ["Pendding", "Runing", "Complated"]


_STATUS_WORDS = {"pendding", "runing", "complated", "pending", "running", "completed"}


@given(st.text().filter(lambda text: text.lower() not in _STATUS_WORDS))
def test_status_parse_refuses_anything_else(raw):
    with pytest.raises(ValidationError) as error:
        AppointmentStatus.parse(raw)
    assert error.value.errors == {"appointment_status": [f'"{raw}" is not a valid choice. {VALID_STATUSES}']}


@given(st.sampled_from(sorted(_STATUS_WORDS)), st.data())
def test_status_parse_ignores_case(word, data):
    mixed = "".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in word)
    assert AppointmentStatus.parse(mixed) is AppointmentStatus.parse(word)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Online", AppointmentType.ONLINE), ("online", AppointmentType.ONLINE),
    ("OFFLINE", AppointmentType.OFFLINE), ("Offline", AppointmentType.OFFLINE),
])
def test_type_parse(raw, expected):
    assert AppointmentType.parse(raw) is expected


@pytest.mark.parametrize("raw", ["", "Onsite", "On line", " Online"])
def test_type_parse_refuses_other_values(raw):
    with pytest.raises(ValidationError) as error:
        AppointmentType.parse(raw)
    assert error.value.errors == {"appointment_type": [f'"{raw}" is not a valid choice. {VALID_TYPES}']}


# --- booking ---------------------------------------------------------------------------------------

def test_book_creates_a_pending_uncancelled_appointment():
    appointment = Appointment.book(PATIENT_ID, DOCTOR_ID, 101, "offline", "", DOCTOR_TIMES)
    assert asdict(appointment) == {
        "patient_id": PATIENT_ID, "doctor_id": DOCTOR_ID, "time_id": 101,
        "appointment_type": AppointmentType.OFFLINE, "symptoms": "", "status": PENDING,
        "cancelled": False, "id": None,
        # Undated (proposed): no slot, nothing of dated scheduling set.
        "fhir_status": "proposed", "starts_at": None, "ends_at": None, "cancellation_reason": None,
        "cancellation_note": None, "cancelled_by": None, "cancelled_at": None, "replaces": None, "replaced_by": None,
    }


def test_book_refuses_a_time_that_is_not_the_doctors():
    with pytest.raises(ValidationError) as error:
        Appointment.book(PATIENT_ID, DOCTOR_ID, 999, "Online", "", DOCTOR_TIMES)
    assert error.value.errors == {"time": ["This time is not one of the doctor's available times."]}


def test_book_accepts_symptoms_up_to_the_limit_only():
    Appointment.book(PATIENT_ID, DOCTOR_ID, 100, "Online", "x" * SYMPTOMS_MAX, DOCTOR_TIMES)
    with pytest.raises(ValidationError) as error:
        Appointment.book(PATIENT_ID, DOCTOR_ID, 100, "Online", "x" * (SYMPTOMS_MAX + 1), DOCTOR_TIMES)
    assert error.value.errors == {"symptoms": ["Ensure this field has no more than 5000 characters."]}


@pytest.mark.parametrize("symptoms", ["\x00", "cough\x00", "a\x00b"])
def test_symptoms_may_not_hold_null_characters(symptoms):
    with pytest.raises(ValidationError) as error:
        Appointment.book(PATIENT_ID, DOCTOR_ID, 100, "Online", symptoms, DOCTOR_TIMES)
    assert error.value.errors == {"symptoms": ["Null characters are not allowed."]}
    appointment = booked()
    with pytest.raises(ValidationError):
        appointment.revise(OWNER, symptoms=symptoms)
    assert appointment.symptoms == "cough"


def test_book_reports_every_invalid_field_at_once():
    with pytest.raises(ValidationError) as error:
        Appointment.book(PATIENT_ID, DOCTOR_ID, 999, "Onsite", "x" * (SYMPTOMS_MAX + 1), DOCTOR_TIMES)
    assert field_errors(error) == {"time", "appointment_type", "symptoms"}


# --- status transitions ----------------------------------------------------------------------------

@pytest.mark.parametrize("carer", CARERS)
def test_doctor_and_admin_start_then_complete(carer):
    appointment = booked()
    appointment.start(carer)
    assert appointment.status is RUNNING
    appointment.complete(carer)
    assert appointment.status is COMPLETED


def test_complete_before_start_is_refused():
    appointment = booked()
    with pytest.raises(ValidationError) as error:
        appointment.complete(DOCTOR)
    assert field_errors(error) == {"appointment_status"}
    assert appointment.status is PENDING


@pytest.mark.parametrize("status", [RUNNING, COMPLETED])
def test_start_is_refused_unless_pending(status):
    appointment = booked(status=status)
    with pytest.raises(ValidationError):
        appointment.start(DOCTOR)
    assert appointment.status is status


def test_a_cancelled_appointment_cannot_start():
    appointment = booked(cancelled=True)
    with pytest.raises(ValidationError) as error:
        appointment.start(DOCTOR)
    assert error.value.errors == {"appointment_status": ["A cancelled appointment cannot change status."]}
    assert appointment.status is PENDING


def test_move_status_refuses_skipping_a_step():
    appointment = booked()
    with pytest.raises(ValidationError) as error:
        appointment.move_status(DOCTOR, COMPLETED)
    assert error.value.errors == {"appointment_status": ["Status can only move forward one step at a time."]}
    assert appointment.status is PENDING


@pytest.mark.parametrize(
    ("current", "target"), [(RUNNING, PENDING), (COMPLETED, RUNNING), (COMPLETED, PENDING)]
)
def test_move_status_refuses_going_back(current, target):
    appointment = booked(status=current)
    with pytest.raises(ValidationError) as error:
        appointment.move_status(ADMIN, target)
    assert field_errors(error) == {"appointment_status"}
    assert appointment.status is current


def test_move_status_takes_the_wire_and_correct_spellings():
    appointment = booked()
    appointment.move_status(DOCTOR, "running")
    appointment.move_status(DOCTOR, "Complated")
    assert appointment.status is COMPLETED


@pytest.mark.parametrize("status", list(AppointmentStatus))
def test_move_status_to_the_current_status_changes_nothing_even_for_the_patient(status):
    appointment = booked(status=status)
    before = asdict(appointment)
    appointment.move_status(OWNER, status.value)
    assert asdict(appointment) == before


def test_move_status_refuses_an_unknown_status():
    appointment = booked()
    with pytest.raises(ValidationError) as error:
        appointment.move_status(DOCTOR, "Done")
    assert error.value.errors == {"appointment_status": [f'"Done" is not a valid choice. {VALID_STATUSES}']}


# --- cancel, reschedule, revise --------------------------------------------------------------------

@pytest.mark.parametrize("actor", [OWNER, DOCTOR, ADMIN])
def test_cancel_while_pending(actor):
    appointment = booked()
    appointment.cancel(actor)
    assert appointment.cancelled is True
    assert appointment.status is PENDING


def test_cancel_twice_is_refused():
    appointment = booked(cancelled=True)
    with pytest.raises(ValidationError) as error:
        appointment.cancel(OWNER)
    assert error.value.errors == {"cancel": ["This appointment is already cancelled."]}


@pytest.mark.parametrize("status", [RUNNING, COMPLETED])
def test_cancel_is_refused_once_started(status):
    appointment = booked(status=status)
    with pytest.raises(ValidationError) as error:
        appointment.cancel(OWNER)
    assert field_errors(error) == {"cancel"}
    assert appointment.cancelled is False


@pytest.mark.parametrize("actor", [OWNER, DOCTOR, ADMIN])
def test_reschedule_to_another_of_the_doctors_times(actor):
    appointment = booked()
    appointment.reschedule(actor, 102, DOCTOR_TIMES)
    assert appointment.time_id == 102


def test_reschedule_refuses_a_time_that_is_not_the_doctors():
    appointment = booked()
    with pytest.raises(ValidationError) as error:
        appointment.reschedule(OWNER, 999, DOCTOR_TIMES)
    assert error.value.errors == {"time": ["This time is not one of the doctor's available times."]}
    assert appointment.time_id == 100


@pytest.mark.parametrize("changes", [{"cancelled": True}, {"status": RUNNING}, {"status": COMPLETED}])
def test_reschedule_is_refused_unless_open(changes):
    appointment = booked(**changes)
    with pytest.raises(ValidationError) as error:
        appointment.reschedule(OWNER, 101, DOCTOR_TIMES)
    assert field_errors(error) == {"time"}
    assert appointment.time_id == 100


def test_reschedule_to_the_same_time_is_no_change_even_when_closed():
    appointment = booked(status=COMPLETED)
    appointment.reschedule(OWNER, 100, frozenset())
    assert appointment.time_id == 100


@pytest.mark.parametrize("actor", [OWNER, DOCTOR, ADMIN])
def test_revise_symptoms_and_type(actor):
    appointment = booked()
    appointment.revise(actor, symptoms="fever", appointment_type="offline")
    assert (appointment.symptoms, appointment.appointment_type) == ("fever", AppointmentType.OFFLINE)


def test_revise_with_one_invalid_value_changes_neither():
    appointment = booked()
    with pytest.raises(ValidationError) as error:
        appointment.revise(OWNER, symptoms="fever", appointment_type="Onsite")
    assert field_errors(error) == {"appointment_type"}
    assert (appointment.symptoms, appointment.appointment_type) == ("cough", AppointmentType.ONLINE)


@pytest.mark.parametrize("changes", [{"cancelled": True}, {"status": RUNNING}, {"status": COMPLETED}])
def test_revise_is_refused_unless_open(changes):
    appointment = booked(**changes)
    with pytest.raises(ValidationError):
        appointment.revise(OWNER, symptoms="fever")
    assert appointment.symptoms == "cough"


def test_revise_with_the_current_values_is_no_change_even_when_closed():
    appointment = booked(status=RUNNING)
    appointment.revise(OWNER, symptoms="cough", appointment_type="ONLINE")
    assert appointment.symptoms == "cough"


# --- who may do what -------------------------------------------------------------------------------

@pytest.mark.parametrize("action", [
    lambda a, by: a.start(by),
    lambda a, by: a.move_status(by, RUNNING),
])
def test_the_patient_may_not_change_status(action):
    appointment = booked()
    with pytest.raises(PermissionDeniedError):
        action(appointment, OWNER)
    assert appointment.status is PENDING


def test_the_patient_may_not_complete():
    appointment = booked(status=RUNNING)
    with pytest.raises(PermissionDeniedError):
        appointment.complete(OWNER)
    assert appointment.status is RUNNING


def test_a_doctor_who_is_also_the_patient_may_change_status_as_the_doctor():
    appointment = booked(patient_id=DOCTOR.patient_id)
    appointment.start(DOCTOR)
    assert appointment.status is RUNNING


_EVERY_ACTION = [
    lambda a, by: a.start(by),
    lambda a, by: a.complete(by),
    lambda a, by: a.move_status(by, RUNNING),
    lambda a, by: a.move_status(by, PENDING),
    lambda a, by: a.cancel(by),
    lambda a, by: a.reschedule(by, 101, DOCTOR_TIMES),
    lambda a, by: a.revise(by, symptoms="fever"),
    lambda a, by: a.ensure_readable_by(by),
    lambda a, by: a.ensure_deletable_by(by),
]


@pytest.mark.parametrize("stranger", STRANGERS)
@pytest.mark.parametrize("action", _EVERY_ACTION)
def test_strangers_are_told_it_does_not_exist(stranger, action):
    appointment = booked()
    with pytest.raises(NotFoundError):
        action(appointment, stranger)


@pytest.mark.parametrize("actor", [OWNER, DOCTOR, ADMIN])
def test_readable_by_its_patient_its_doctor_and_admins(actor):
    booked().ensure_readable_by(actor)


@pytest.mark.parametrize("actor", [OWNER, ADMIN])
def test_deletable_by_its_patient_and_admins(actor):
    booked().ensure_deletable_by(actor)


def test_its_doctor_may_not_delete_it():
    with pytest.raises(PermissionDeniedError):
        booked().ensure_deletable_by(DOCTOR)


# --- properties: any sequence of actions by anyone -------------------------------------------------

_TIMES = st.sampled_from([100, 101, 102, 999])
_SYMPTOMS = st.one_of(st.none(), st.text(max_size=10), st.just("x" * (SYMPTOMS_MAX + 1)))
_TYPES = st.sampled_from([None, "Online", "offline", "OFFLINE", "Onsite", AppointmentType.ONLINE])
_TARGETS = st.sampled_from([*AppointmentStatus, "pending", "RUNNING", "Completed", "Done", ""])
_ACTIONS = st.one_of(
    st.tuples(st.just("start")),
    st.tuples(st.just("complete")),
    st.tuples(st.just("cancel")),
    st.tuples(st.just("reschedule"), _TIMES),
    st.tuples(st.just("revise"), _SYMPTOMS, _TYPES),
    st.tuples(st.just("move_status"), _TARGETS),
)
_STEPS = st.lists(st.tuples(st.sampled_from(sorted(ACTORS)), _ACTIONS), max_size=30)


def apply(appointment: Appointment, actor: Actor, action: tuple) -> None:
    name, *args = action
    if name == "reschedule":
        appointment.reschedule(actor, args[0], DOCTOR_TIMES)
    elif name == "revise":
        appointment.revise(actor, symptoms=args[0], appointment_type=args[1])
    elif name == "move_status":
        appointment.move_status(actor, args[0])
    else:
        getattr(appointment, name)(actor)


@properties(max_examples=300)
@given(_STEPS)
def test_any_sequence_of_actions_keeps_the_appointment_in_a_reachable_state(steps):
    appointment = booked()
    seen_statuses = [appointment.status]
    for actor_name, action in steps:
        actor = ACTORS[actor_name]
        before = asdict(appointment)
        try:
            apply(appointment, actor, action)
        except DomainError:
            assert asdict(appointment) == before, "a refused action changed the appointment"
            continue
        after = asdict(appointment)
        # Only these can change: the rest is fixed when booked.
        assert {k: after[k] for k in ("patient_id", "doctor_id", "id")} == {
            k: before[k] for k in ("patient_id", "doctor_id", "id")
        }
        if after != before:
            assert actor in (OWNER, DOCTOR, ADMIN), f"{actor_name} changed the appointment"
        if after["status"] != before["status"]:
            assert actor in CARERS, f"{actor_name} changed the status"
            assert after["status"].step == before["status"].step + 1
        assert not (before["cancelled"] and not after["cancelled"]), "an appointment was un-cancelled"
        if before["cancelled"] or before["status"] is not PENDING:
            changed = {k for k in after if after[k] != before[k]} - {"status", "fhir_status"}
            assert not changed, f"a closed appointment's {changed} changed"
        seen_statuses.append(appointment.status)
        assert appointment.time_id in DOCTOR_TIMES
        assert len(appointment.symptoms) <= SYMPTOMS_MAX
        if appointment.cancelled:
            assert appointment.status is PENDING
    steps_taken = [status.step for status in seen_statuses]
    assert steps_taken == sorted(steps_taken), "the status went backwards"
    if COMPLETED in seen_statuses:
        assert RUNNING in seen_statuses


class AppointmentModel(RuleBasedStateMachine):
    """Compares the entity with a reference table of the rules, written independently of it."""

    def __init__(self) -> None:
        super().__init__()
        self.appointment = booked()
        self.model = asdict(self.appointment)

    @staticmethod
    def role(actor: Actor) -> str:
        if actor.is_admin or actor.doctor_id == DOCTOR_ID:
            return "carer"
        if actor.patient_id == PATIENT_ID:
            return "patient"
        return "stranger"

    def expect(self, actor: Actor, action: tuple) -> type[DomainError] | dict:
        """The error class the action must raise, or the model state after it."""
        state = dict(self.model)
        role = self.role(actor)
        if role == "stranger":
            return NotFoundError
        name, *args = action
        is_open = state["status"] is PENDING and not state["cancelled"]
        if name in ("start", "complete"):
            target = RUNNING if name == "start" else COMPLETED
            if role == "patient":
                return PermissionDeniedError
            if state["cancelled"] or target.step != state["status"].step + 1:
                return ValidationError
            state["status"] = target
            state["fhir_status"] = FHIR_STATUS_OF[target]
        elif name == "move_status":
            words = {"pending": PENDING, "running": RUNNING, "completed": COMPLETED}
            raw = str(args[0]).lower()
            target = words.get(raw) or next((s for s in AppointmentStatus if s.value.lower() == raw), None)
            if target is None:
                return ValidationError
            if target is state["status"]:
                return state
            if role == "patient":
                return PermissionDeniedError
            if state["cancelled"] or target.step != state["status"].step + 1:
                return ValidationError
            state["status"] = target
            state["fhir_status"] = FHIR_STATUS_OF[target]
        elif name == "cancel":
            if not is_open:
                return ValidationError
            state["cancelled"] = True
            # Dated scheduling's record of it: the status it projects, who cancelled and why by default.
            state["fhir_status"] = "cancelled"
            state["cancelled_by"] = actor.user_id
            state["cancellation_reason"] = "prov" if actor.doctor_id == DOCTOR_ID else (
                "other" if actor.is_admin else "pat")
        elif name == "reschedule":
            if args[0] == state["time_id"]:
                return state
            if not is_open or args[0] not in DOCTOR_TIMES:
                return ValidationError
            state["time_id"] = args[0]
        elif name == "revise":
            symptoms, kind = args
            if symptoms is not None and (len(symptoms) > SYMPTOMS_MAX or "\x00" in symptoms):
                return ValidationError
            if kind is not None:
                if kind.lower() not in ("online", "offline"):
                    return ValidationError
                kind = AppointmentType(kind.capitalize())
            if (symptoms is not None and symptoms != state["symptoms"]) or (
                kind is not None and kind is not state["appointment_type"]
            ):
                if not is_open:
                    return ValidationError
                state["symptoms"] = state["symptoms"] if symptoms is None else symptoms
                state["appointment_type"] = state["appointment_type"] if kind is None else kind
        return state

    @rule(actor_name=st.sampled_from(sorted(ACTORS)), action=_ACTIONS)
    def act(self, actor_name: str, action: tuple) -> None:
        actor = ACTORS[actor_name]
        expected = self.expect(actor, action)
        if isinstance(expected, dict):
            apply(self.appointment, actor, action)
            self.model = expected
        else:
            with pytest.raises(DomainError) as error:
                apply(self.appointment, actor, action)
            assert type(error.value) is expected, f"{actor_name} {action}: {error.value!r}"

    @invariant()
    def matches_the_model(self) -> None:
        assert asdict(self.appointment) == self.model


FHIR_STATUS_OF = {RUNNING: "checked-in", COMPLETED: "fulfilled"}
TestAppointmentModel = AppointmentModel.TestCase
TestAppointmentModel.settings = properties(max_examples=200, stateful_step_count=30)
