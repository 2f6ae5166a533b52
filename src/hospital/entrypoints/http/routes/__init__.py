"""Route handlers, one module per resource. ``ROUTE_HANDLERS`` is what the app mounts."""

from hospital.entrypoints.http.routes import accounts, appointments, patients, profiles, reviews

ROUTE_HANDLERS = [
    *accounts.HANDLERS,
    *profiles.HANDLERS,
    *patients.HANDLERS,
    *appointments.HANDLERS,
    *reviews.HANDLERS,
]
