"""Why an appointment was cancelled: the codes of HL7's appointment-cancellation-reason value set."""

from __future__ import annotations

from hospital.domain.errors import ValidationError

CANCELLATION_REASONS = (
    "pat", "pat-crs", "pat-cpp", "pat-dec", "pat-fb", "pat-lt", "pat-mt", "pat-mv", "pat-preg", "pat-swl",
    "pat-ucp", "prov", "prov-pers", "prov-dch", "prov-edu", "prov-hosp", "prov-labs", "prov-mri", "prov-onc",
    "maint", "meds-inc", "other", "oth-cms", "oth-err", "oth-fin", "oth-iv", "oth-int", "oth-mu", "oth-room",
    "oth-oerr", "oth-swie", "oth-weath",
)
BY_PATIENT, BY_PROVIDER, OTHER = "pat", "prov", "other"
NOTE_MAX = 1000


def checked_reason(reason: object) -> str:
    if reason not in CANCELLATION_REASONS:
        raise ValidationError.field(
            "reason", f'"{reason}" is not a valid choice. Valid choices: {", ".join(CANCELLATION_REASONS)}.')
    assert isinstance(reason, str)
    return reason


def checked_note(note: object) -> str:
    if not isinstance(note, str):
        raise ValidationError.field("note", "Not a valid string.")
    if len(note) > NOTE_MAX:
        raise ValidationError.field("note", f"Ensure this field has no more than {NOTE_MAX} characters.")
    if "\x00" in note:
        raise ValidationError.field("note", "Null characters are not allowed.")
    return note
