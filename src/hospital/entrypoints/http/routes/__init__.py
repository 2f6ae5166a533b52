"""Route handlers, one module per resource. ``ROUTE_HANDLERS`` is what the app mounts; each creating
POST among them takes an Idempotency-Key (idempotency.py ``make_idempotent``)."""

from hospital.entrypoints.http.idempotency import make_idempotent
from hospital.entrypoints.http.routes import (
    accounts,
    appointments,
    audit,
    available_times,
    contacts,
    doctors,
    medical_services,
    patients,
    profiles,
    reviews,
    scheduling,
    taxonomy,
)

ROUTE_HANDLERS = [
    *accounts.HANDLERS,
    *profiles.HANDLERS,
    *patients.HANDLERS,
    *appointments.HANDLERS,
    *reviews.HANDLERS,
    *taxonomy.HANDLERS,
    *available_times.HANDLERS,
    *doctors.HANDLERS,
    *medical_services.HANDLERS,
    *contacts.HANDLERS,
    *scheduling.HANDLERS,
    *audit.HANDLERS,
]
make_idempotent(ROUTE_HANDLERS)
