"""The Litestar application factory. Nothing happens at import time."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from hospital import __version__
from hospital.application.actor import Actor
from hospital.bootstrap import Container, build_container, shutdown
from hospital.entrypoints.http import docs_assets, openapi, route_calls
from hospital.entrypoints.http.auth import provide_actor
from hospital.entrypoints.http.client_address import ClientAddressResolver
from hospital.entrypoints.http.errors import EXCEPTION_HANDLERS
from hospital.entrypoints.http.json_response import JsonResponse
from hospital.entrypoints.http.middleware import RateLimitMiddleware, SecurityHeaders
from hospital.entrypoints.http.outage_log import OutageLog
from hospital.entrypoints.http.request_context import RequestContextMiddleware
from hospital.entrypoints.http.response_cache import EncodedValues, ResponseCache
from hospital.entrypoints.http.routes import ROUTE_HANDLERS, health


def create_app(container: Container | None = None) -> Litestar:
    container = container or build_container()
    settings = container.settings()
    settings.media_root.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> Any:
        try:
            yield
        finally:
            await shutdown(app.state.container)

    client_address = ClientAddressResolver(settings.trusted_proxies)
    rate_limit = DefineMiddleware(
        RateLimitMiddleware,
        client_address=client_address,
        auth=settings.rate_limit_auth,
        anon=settings.rate_limit_anon,
        user=settings.rate_limit_user,
    )
    media = create_static_files_router(
        path="/media", directories=[settings.media_root], include_in_schema=False, name="media",
        send_as_attachment=False,
    )
    def served_container() -> Container:
        # No parameters: Litestar then builds and checks no signature model for it on each request.
        served: Container = app.state.container
        return served

    app = Litestar(
        route_handlers=[*ROUTE_HANDLERS, *health.HANDLERS, *docs_assets.HANDLERS, media],
        dependencies={
            "container": Provide(served_container, sync_to_thread=False),
            "actor": Provide(provide_actor),
        },
        signature_namespace={"Actor": Actor},
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        response_class=JsonResponse,
        # The rate limiter outermost; route_calls.planned right above the route (it calls its handlers).
        middleware=[rate_limit, route_calls.planned],
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        openapi_config=OpenAPIConfig(
            title="Hospital Management API",
            version=__version__,
            description="Wire-compatible with the Hospital Management System API guide.",
            components=openapi.components(),
            operation_id_creator=openapi.operation_id,
            render_plugins=[docs_assets.swagger_plugin(), openapi.FinishedJsonRenderPlugin()],
            path="/schema",
        ),
        request_max_body_size=settings.max_body_bytes,
        lifespan=[lifespan],
        debug=False,
        logging_config=None,
    )
    app.state.settings = settings
    app.state.client_address = client_address
    serve_container(app, container)
    # Outside Litestar's per-route middleware, so that every response (404s and CORS preflights
    # included) carries its request id and the security headers, and is logged.
    app.asgi_handler = RequestContextMiddleware(
        app.asgi_handler, client_address, SecurityHeaders(_allowed_methods(app)),
    )
    logging.getLogger("hospital").setLevel(settings.log_level)
    return app


def serve_container(app: Litestar, container: Container) -> None:
    """Make ``app`` answer its next requests with ``container``'s wiring and fresh per-container state.

    What the app reads from its container at request time is kept here, in ``app.state``; routes,
    middleware and the OpenAPI schema depend only on settings. So an app built once can serve another
    container with the same settings apart from the database: the tests build one app per process
    and give it each test's database (Litestar takes a noticeable time parsing ~130 handlers per app).
    """
    settings = container.settings()
    if replace(settings, database_url=app.state.settings.database_url) != app.state.settings:
        raise ValueError("An app serves only containers whose settings match its own apart from the database")
    app.state.container = container
    app.state.rate_limiter = container.rate_limiter()
    app.state.tokens = container.tokens()
    app.state.outage_log = OutageLog()
    app.state.response_cache = ResponseCache(settings.response_cache_bytes) if settings.response_cache_bytes else None
    app.state.encoded_values = EncodedValues()


def _allowed_methods(app: Litestar) -> dict[str, str]:
    """Every path template with the methods its merged route answers, as an ``Allow`` header value."""
    methods: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            # Routing reports the template with or without converters (``{id:int}``); key by both.
            for key in (route.path, route.path_format):
                methods.setdefault(key, set()).update(route.methods)
    return {path: ", ".join(sorted(names)) for path, names in methods.items()}
