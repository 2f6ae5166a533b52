"""Route handlers, one module per resource. ``ROUTE_HANDLERS`` is what the app mounts."""

from hospital.entrypoints.http.routes import (
    accounts,
    available_times,
    contacts,
    doctors,
    medical_services,
    profiles,
    taxonomy,
)

ROUTE_HANDLERS = [
    *accounts.HANDLERS,
    *profiles.HANDLERS,
    *taxonomy.HANDLERS,
    *available_times.HANDLERS,
    *doctors.HANDLERS,
    *medical_services.HANDLERS,
    *contacts.HANDLERS,
]
