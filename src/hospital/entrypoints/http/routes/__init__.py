"""Route handlers, one module per resource. ``ROUTE_HANDLERS`` is what the app mounts."""

from hospital.entrypoints.http.routes import accounts, profiles
from hospital.entrypoints.http.routes import reviews as review_routes

ROUTE_HANDLERS = [*accounts.HANDLERS, *profiles.HANDLERS]
ROUTE_HANDLERS += review_routes.HANDLERS
