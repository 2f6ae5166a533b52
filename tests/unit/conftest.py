"""Unit tests run against the in-memory adapters: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dependency_injector import providers

from hospital.adapters.clock import FixedClock
from hospital.bootstrap import Container, in_memory_container
from hospital.settings import Settings


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 1, 15, 9, 30, tzinfo=UTC))


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Container:
    container = in_memory_container(settings)
    container.clock.override(providers.Object(clock))
    return container
