"""The scheduling tests' clock, fixed at ``NOW``, and a clinic made after it is fixed."""

from __future__ import annotations

import pytest
from dependency_injector import providers

from hospital.adapters.clock import FixedClock
from tests.support.scheduling import NOW, Clinic, clinic


@pytest.fixture
def clock(any_container) -> FixedClock:
    clock = FixedClock(NOW)
    any_container.clock.override(providers.Object(clock))
    return clock


@pytest.fixture
async def place(any_container, clock) -> Clinic:
    return await clinic(any_container)
