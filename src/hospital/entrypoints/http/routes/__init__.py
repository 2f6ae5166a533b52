"""Route handlers, one module per resource. ``ROUTE_HANDLERS`` is what the app mounts."""

from hospital.entrypoints.http.routes import accounts, appointments, patients, profiles

ROUTE_HANDLERS = [*accounts.HANDLERS, *profiles.HANDLERS]
ROUTE_HANDLERS += [*patients.HANDLERS, *appointments.HANDLERS]
