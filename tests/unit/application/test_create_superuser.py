from __future__ import annotations

import pytest

from hospital.application.accounts import CreateSuperuserCommand, LogInCommand
from hospital.bootstrap import Container
from hospital.domain.errors import ConflictError, ValidationError
from tests.support.actors import PASSWORD


async def test_a_superuser_is_staff_with_a_profile_and_patient_record_and_can_log_in(container: Container) -> None:
    user = await container.create_superuser()(CreateSuperuserCommand(
        username="root", email="root@Example.com", password=PASSWORD))

    assert user.is_staff and user.is_active and user.email == "root@example.com"
    async with container.unit_of_work() as uow:
        assert await uow.profiles.get_by_user(user.id) is not None
        assert await uow.patients.get_by_user(user.id) is not None
    assert await container.log_in()(LogInCommand(username="root", password=PASSWORD))


async def test_a_superuser_password_follows_the_policy(container: Container) -> None:
    with pytest.raises(ValidationError) as caught:
        await container.create_superuser()(CreateSuperuserCommand(
            username="root", email="root@example.com", password="password"))
    assert caught.value.errors == {"password": ["This password is too common."]}


async def test_a_superuser_username_must_be_free(container: Container) -> None:
    await container.create_superuser()(CreateSuperuserCommand(
        username="root", email="root@example.com", password=PASSWORD))
    with pytest.raises(ConflictError):
        await container.create_superuser()(CreateSuperuserCommand(
            username="Root", email="root@example.com", password=PASSWORD))


@pytest.mark.parametrize("email", ["", "  ", "root"])
async def test_a_superuser_needs_a_valid_email_and_nothing_is_stored_without_one(container: Container,
                                                                                 email: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await container.create_superuser()(CreateSuperuserCommand(username="root", email=email, password=PASSWORD))
    assert list(caught.value.errors) == ["email"]
    async with container.unit_of_work() as uow:
        assert not await uow.users.username_taken("root")
