"""The people every catalogue use case is tried with: anonymous, a patient, a doctor, an admin."""

from __future__ import annotations

import pytest

from hospital.application.actor import ANONYMOUS, Actor
from hospital.bootstrap import Container
from tests.support.actors import admin, register
from tests.support.catalogue import Catalogue, make_doctor, seed_catalogue


@pytest.fixture
async def boss(container: Container) -> Actor:
    return await admin(container)


@pytest.fixture
async def catalogue(container: Container, boss: Actor) -> Catalogue:
    return await seed_catalogue(container, boss)


@pytest.fixture
async def patient(container: Container) -> Actor:
    return await register(container)


@pytest.fixture
async def doctor(container: Container, boss: Actor, catalogue: Catalogue) -> Actor:
    """A user with a doctor record (and a patient record, like every registered user)."""
    actor, _ = await make_doctor(container, boss, catalogue)
    assert actor.is_doctor
    return actor


@pytest.fixture
def non_admins(patient: Actor, doctor: Actor) -> dict[str, Actor]:
    return {"patient": patient, "doctor": doctor}


@pytest.fixture
def everyone(patient: Actor, doctor: Actor, boss: Actor) -> dict[str, Actor]:
    return {"anonymous": ANONYMOUS, "patient": patient, "doctor": doctor, "admin": boss}
