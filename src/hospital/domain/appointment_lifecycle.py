"""An appointment's status, in FHIR's codes (SCHEDULING.md section 6), and the moves between them.

    proposed ──> checked-in, cancelled, entered-in-error          (undated: holds no slot)
    booked ────> arrived, checked-in, noshow, cancelled, entered-in-error
    arrived ───> checked-in, noshow, cancelled
    checked-in > fulfilled, entered-in-error
    fulfilled, cancelled, noshow, entered-in-error: final

The guide's two fields are projections of it: ``appointment_status`` (Pendding, Runing, Complated)
and ``cancel``; statuses the guide has no word for leave them as they were.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from hospital.domain.errors import ValidationError


class FhirStatus(StrEnum):
    PROPOSED = "proposed"
    BOOKED = "booked"
    ARRIVED = "arrived"
    CHECKED_IN = "checked-in"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    NOSHOW = "noshow"
    ENTERED_IN_ERROR = "entered-in-error"

    @classmethod
    def parse(cls, value: object, field: str = "status") -> FhirStatus:
        for member in cls:
            if member.value == value:
                return member
        choices = ", ".join(member.value for member in cls)
        raise ValidationError.field(field, f'"{value}" is not a valid choice. Valid choices: {choices}.')

    @property
    def is_final(self) -> bool:
        return not MOVES[self]

    @property
    def occupies_time(self) -> bool:
        """Whether a dated appointment in this status holds its slot (no other booking may overlap it)."""
        return self in OCCUPYING


_P, _B, _A, _C, _F, _X, _N, _E = FhirStatus
MOVES: dict[FhirStatus, frozenset[FhirStatus]] = {
    _P: frozenset({_C, _X, _E}),
    _B: frozenset({_A, _C, _N, _X, _E}),
    _A: frozenset({_C, _N, _X}),
    _C: frozenset({_F, _E}),
    _F: frozenset(), _X: frozenset(), _N: frozenset(), _E: frozenset(),
}
OCCUPYING = frozenset({_B, _A, _C, _F})


def check_move(current: FhirStatus, target: FhirStatus, *, start: datetime | None, now: datetime) -> None:
    """Refuse (400, under ``status``) a move the table above does not allow, and a no-show before its start."""
    if target not in MOVES[current]:
        if current.is_final:
            raise ValidationError.field("status", f"A {current} appointment is final; its status cannot change.")
        raise ValidationError.field("status", f"The status cannot move from {current} to {target}.")
    if target is FhirStatus.NOSHOW and (start is None or now < start):
        raise ValidationError.field("status", "An appointment is a no-show only once its start has passed.")
