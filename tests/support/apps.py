"""The real application on a test database, wired with what a test needs to control."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dependency_injector import providers
from litestar.testing import AsyncTestClient

from hospital.adapters.memory.passwords import FastInsecurePasswordHasher
from hospital.application.ports.clock import Clock
from hospital.bootstrap import Container, build_container, shutdown
from hospital.entrypoints.http.app import create_app
from hospital.settings import Settings

BASE_URL = "http://testserver.local"


@asynccontextmanager
async def app_client(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[AsyncTestClient]:
    """A client of the app built on ``settings``; ``clock`` replaces the real one before anything uses it."""
    container: Container = build_container(settings)
    container.password_hasher.override(providers.Singleton(FastInsecurePasswordHasher))
    if clock is not None:
        container.clock.override(providers.Object(clock))
    try:
        async with AsyncTestClient(create_app(container), base_url=BASE_URL) as client:
            yield client
    finally:
        await shutdown(container)


@asynccontextmanager
async def side_container(settings: Settings) -> AsyncIterator[Container]:
    """The production wiring on the same database as an app under test, with its own connection pool.

    The test client serves the app on an event loop of its own; PostgreSQL connections cannot move
    between loops, so a test that reaches the database directly must not borrow the app's pool.
    """
    container: Container = build_container(settings)
    container.password_hasher.override(providers.Singleton(FastInsecurePasswordHasher))
    try:
        yield container
    finally:
        await shutdown(container)
