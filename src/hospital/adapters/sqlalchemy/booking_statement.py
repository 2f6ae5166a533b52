"""A dated booking on PostgreSQL as ONE statement, with its audit event, in an implicit transaction:
no BEGIN, no COMMIT, one round trip (against BEGIN, INSERT, events with COMMIT: three).

Why it can be one statement. A booking's unit of work writes one row (the conditional INSERT of
appointments.py) and one event naming it; it reads nothing back before its commit. The event's hash
covers the new appointment's id, which only the INSERT knows, so the event is sealed around that id
(domain/audit.py's ``OpenAuditEvent``: its canonical content is ``prefix``, the id, ``suffix``) and
PostgreSQL hashes it as it inserts both: ``sha256(prefix || id || suffix)`` in a data-modifying CTE
that inserts the event, and its patient links, only from the appointment row the INSERT returned.
The statement answers the id and the hash; Python seals the same event with that id and checks the
two hashes are equal (a mismatch is a bug, and raises ``HashMismatchError``: the row and its event
are stored, the caller gets a 500, the lane is retired, and ``hospital audit verify`` shows it).

How a unit comes to it (unit_of_work.py, ``write_at_commit``): ``book_slot`` is the unit's first
write, on a PostgreSQL driver, with no Idempotency-Key record to write. Then nothing is sent: the
booking is held (``DeferredBooking``), ``book_slot`` answers True, the appointment's id stays None,
and the unit's next audit entry that creates an appointment without an id is opened on the unit's
lane (audit.py) as the event of this row. At commit the statement runs; the appointment gets its id.
Until then the unit's reads do not see the booking (no use case reads after booking).

::

    book_slot ──> HELD ──append(CREATE, no id)──> AUDITED ──commit──> SENT ──row──────────> COMMITTED
                   │                                 │                  ├──no row─────────> REFUSED
                   │ any other write, or the session │ any other write  ├──error answered─> FAILED
                   v                                 v  (a bug: raises) └──connection lost─> SETTLED
                 SENT ALONE as a plain INSERT in a driver transaction
                 (BEGIN, INSERT: the unit goes on as any driver unit)

Invariants, and the test of each (tests/integration/scheduling/test_one_statement_booking.py):

- the appointment and its event are stored together or not at all: one statement, one implicit
  transaction; the event's CTE selects from the INSERT's RETURNING, so no row, no event;
- a booking the store refuses writes nothing: the sources moved (no row; the unit raises
  ``ConcurrentChangeError`` at commit, and the use case reads the sources again and runs again), or
  the overlap constraint refused it (an error PostgreSQL answered: 409 where every ClashError
  becomes one, database_errors.py). The lane stays where it was (``committed=False``);
- committed: the lane moves on to the event the store sealed (``AuditLane.closed``);
- the connection lost while the statement is on its way: the outcome is asked by the event's id,
  known before sending, after the old backend is gone (``lost_commits.settle_by_row``: it is
  terminated, and awaited, so it cannot commit after the question; it is named by its process id
  and start, so a reused process id is never ended): stored -> the caller's
  success; not stored -> ``ConnectionLostError`` (the unit runs again); cannot tell ->
  ``CommitOutcomeUnknownError`` (503). The lane is retired whatever the answer (stricter than a lost
  COMMIT found aborted, which keeps its lane: one rule for every loss here);
- a cancelled caller: the statement, once sent, runs to its end and the caller is told its outcome
  (commit_outcome.py's ``outcome_of``); cancelled before, nothing was sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, LargeBinary, String, bindparam, cast, func, insert, literal_column, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from hospital.adapters.audit_lanes import AuditLane
from hospital.adapters.sqlalchemy.audit import filters_text
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.adapters.sqlalchemy.tables.audit import audit_event_patients as p
from hospital.adapters.sqlalchemy.tables.audit import audit_events as e
from hospital.domain.audit import AuditAction, AuditEntry, AuditEvent, OpenAuditEvent, ResourceType

_EVENT_VALUES = ("id", "recorded_at", "chain", "seq", "prev_hash", "action", "resource_type", "outcome",
                 "actor_user_id", "actor_role", "username", "filters", "client_address", "request_id",
                 "user_agent")


def one_statement(appointment_rows: Any) -> PreparedQuery:
    """``appointment_rows``: the booking's ``INSERT ... SELECT ... WHERE`` (appointments.py), RETURNING id."""
    booked = appointment_rows.cte("booked")
    digest = func.encode(func.sha256(
        cast(bindparam("hash_prefix"), LargeBinary)
        .concat(cast(cast(booked.c.id, String), LargeBinary))
        .concat(cast(bindparam("hash_suffix"), LargeBinary))), literal_column("'hex'"))
    values = {name: cast(bindparam(f"event_{name}"), e.c[name].type) for name in _EVENT_VALUES}
    event = (insert(e).from_select([*values, "hash", "resource_id"],
                                   select(*values.values(), digest, booked.c.id).select_from(booked))
             .returning(e.c.id, e.c.hash).cte("event"))
    ids = (func.unnest(cast(bindparam("event_patient_ids"), ARRAY(BigInteger))).table_valued("value")
           .render_derived(name="ids"))
    links = insert(p).from_select(["patient_id", "event_id"],
                                  select(ids.c.value, event.c.id).select_from(event, ids)).cte("links")
    return PreparedQuery(select(booked.c.id, event.c.hash).select_from(booked.join(event, true()))
                         .add_cte(booked, event, links))


# A lost statement's answer, asked by its event's id once its backend is gone (lost_commits.py).
STORED_EVENT = "SELECT resource_id, hash FROM audit_events WHERE id = $1"


class HashMismatchError(AssertionError):
    """The store hashed an event otherwise than Python: a bug. The booking and its event are stored."""


@dataclass(slots=True)
class DeferredBooking:
    """A unit's booking held until its commit: the plain statement and values (to send alone if the
    unit writes anything else first), the one-statement form, and what to do with the new id."""

    plain: PreparedQuery
    values: Mapping[str, Any]
    together: PreparedQuery
    inserted: Callable[[int], None]
    opened: tuple[AuditLane, OpenAuditEvent] | None = field(default=None)

    def names(self, entry: AuditEntry) -> bool:
        """Whether ``entry`` is this booking's event: it creates an appointment whose id is not known."""
        return (self.opened is None and entry.action is AuditAction.CREATE
                and entry.resource_type is ResourceType.APPOINTMENT and entry.resource_id is None)

    @property
    def event_id(self) -> str:
        assert self.opened is not None
        return self.opened[1].id

    def parameters(self) -> dict[str, Any]:
        if self.opened is None:
            raise AssertionError("a booking goes as one statement only with its event")
        _, event = self.opened
        entry, context = event.entry, event.entry.context
        return {
            **self.values, "hash_prefix": event.prefix, "hash_suffix": event.suffix,
            "event_id": event.id, "event_recorded_at": event.recorded_at, "event_chain": event.chain,
            "event_seq": event.seq, "event_prev_hash": event.prev_hash, "event_action": str(entry.action),
            "event_resource_type": str(entry.resource_type), "event_outcome": str(entry.outcome),
            "event_actor_user_id": entry.actor_user_id, "event_actor_role": str(entry.actor_role),
            "event_username": entry.username, "event_filters": filters_text(entry.filters),
            "event_client_address": context.client_address, "event_request_id": context.request_id,
            "event_user_agent": context.user_agent, "event_patient_ids": list(entry.patient_ids),
        }

    def stored(self, rows: list[Any]) -> AuditEvent | None:
        """The statement's answer: the event as sealed (the new id given to the appointment, the lane
        closed on it), or None when no row was inserted."""
        if not rows:
            return None
        assert self.opened is not None
        lane, opened = self.opened
        (appointment_id, stored_hash), = rows
        event = opened.sealed(appointment_id)
        if event.hash != stored_hash:
            raise HashMismatchError(f"the store hashed event {event.id} as {stored_hash}, not {event.hash}")
        lane.closed(event)
        self.inserted(appointment_id)
        return event

