"""ChangePassword and DeactivateUser: who may, and what they check (ASVS V2.1.6, V3.3)."""

from __future__ import annotations

import pytest

from hospital.application.accounts import ChangePassword, ChangePasswordCommand
from hospital.application.actor import Actor
from hospital.application.errors import InvalidCredentialsError
from hospital.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from tests.support.actors import PASSWORD, admin, register

NEW_PASSWORD = "Another-Horse-Staple-42"


async def test_the_current_password_must_be_proven(container) -> None:
    actor = await register(container)
    with pytest.raises(ValidationError) as refused:
        await container.change_password()(actor, ChangePasswordCommand(
            current_password="not-it", new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD))
    assert "current_password" in refused.value.errors


async def test_the_new_password_follows_the_password_rules(container) -> None:
    actor = await register(container)
    with pytest.raises(ValidationError):
        await container.change_password()(actor, ChangePasswordCommand(
            current_password=PASSWORD, new_password="12345678", confirm_password="12345678"))


async def test_anonymous_cannot_change_a_password(container) -> None:
    with pytest.raises(InvalidCredentialsError):
        await container.change_password()(Actor(), ChangePasswordCommand(
            current_password=PASSWORD, new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD))


async def test_a_password_change_bumps_the_token_version(container) -> None:
    actor = await register(container)
    await container.change_password()(actor, ChangePasswordCommand(
        current_password=PASSWORD, new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD))
    async with container.unit_of_work() as uow:
        user = await uow.users.get(actor.user_id)
    assert user.token_version == 1
    assert isinstance(container.change_password(), ChangePassword)


async def test_only_an_admin_deactivates(container) -> None:
    victim = await register(container)
    other = await register(container)
    with pytest.raises(PermissionDeniedError):
        await container.deactivate_user()(other, victim.user_id)
    await container.deactivate_user()(await admin(container), victim.user_id)
    async with container.unit_of_work() as uow:
        user = await uow.users.get(victim.user_id)
    assert not user.is_active and user.token_version == 1


async def test_deactivating_an_unknown_user_is_not_found(container) -> None:
    with pytest.raises(NotFoundError):
        await container.deactivate_user()(await admin(container), 10_000)
