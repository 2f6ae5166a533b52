"""The read side: every use case that only reads goes through these ports, never a unit of work.

What every adapter of ``ReadSide`` guarantees (the SQL one and the in-memory one alike):

- **Committed data only.** A read never returns a row that is not committed, on any database and
  in any configuration: on SQLite the reads run on connections of their own, never inside the
  writer's open group-commit transaction (whose units are released but not yet durable, and may
  still fail together); on PostgreSQL each statement is its own READ COMMITTED transaction.
- **No lock a writer waits for.** A read takes no write lock (SQLite's reads are WAL readers), so
  reads never hold up writes, whatever they cost.
- **One statement per question.** Each call costs a fixed number of statements whatever the page's
  size (a page: one, its rows carrying the total; a page past the end: a second, the count).
- **Read models in the API's words**, which the HTTP layer encodes as they are (image fields hold the
  stored name; the HTTP layer makes it a URL).

Who may see what stays in the application layer: the use cases pass a scope or check the read
model's owner.
"""

from __future__ import annotations

from typing import Protocol

from hospital.application.ports.accounts import ActorReads, ProfileReads
from hospital.application.ports.appointments import AppointmentQueries
from hospital.application.ports.catalogue import (
    AvailableTimeReads,
    ContactReads,
    DoctorReadQueries,
    MedicalServiceReads,
    TaxonReads,
)
from hospital.application.ports.patients import PatientQueries
from hospital.application.ports.reviews import ReviewViews
from hospital.application.ports.schedules import SlotSourceQueries


class ReadSide(Protocol):
    actors: ActorReads
    doctors: DoctorReadQueries
    reviews: ReviewViews
    patients: PatientQueries
    appointments: AppointmentQueries
    profiles: ProfileReads
    designations: TaxonReads
    specialisations: TaxonReads
    available_times: AvailableTimeReads
    medical_services: MedicalServiceReads
    contacts: ContactReads
    # Doctors' schedules, date exceptions and busy intervals: what slots are expanded from.
    schedules: SlotSourceQueries
