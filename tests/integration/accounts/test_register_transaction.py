"""Registration is one database transaction: a failure midway leaves no user, profile or patient behind."""

from __future__ import annotations

from typing import Self

import pytest

from hospital.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from hospital.application.accounts import RegisterCommand, RegisterUser
from hospital.application.pagination import PageRequest
from hospital.bootstrap import Container
from tests.support.actors import PASSWORD


class BrokenPatients:
    async def add(self, patient) -> None:
        raise RuntimeError("the disk is full")


class BrokenPatientsUnitOfWork(SqlAlchemyUnitOfWork):
    """The real unit of work, whose patient insert fails after the user and profile were flushed."""

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.patients = BrokenPatients()  # type: ignore[assignment]
        return self


async def test_a_failure_after_the_user_and_profile_were_written_rolls_everything_back(
        sql_container: Container) -> None:
    command = RegisterCommand(username="alice", email="alice@example.com", password=PASSWORD,
                              confirm_password=PASSWORD)
    register = RegisterUser(uow=lambda: BrokenPatientsUnitOfWork(sql_container.session_factory()),
                            hasher=sql_container.password_hasher(), tokens=sql_container.tokens(),
                            clock=sql_container.clock())

    with pytest.raises(RuntimeError):
        await register(command)

    async with sql_container.unit_of_work() as uow:
        assert await uow.users.get_by_username("alice") is None
    assert (await sql_container.read_side().profiles.page(page=PageRequest())).total == 0
    # and nothing half-made blocks a second attempt
    assert (await sql_container.register_user()(command)).user.username == "alice"
