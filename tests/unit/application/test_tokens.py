"""Refreshing, logging out and telling who the bearer of an access token is."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from dependency_injector import providers

from hospital.application.accounts import (
    CreateSuperuserCommand,
    LogInCommand,
    LogOutCommand,
    RefreshCommand,
    RegisterCommand,
    Registration,
)
from hospital.application.actor import ANONYMOUS, Actor
from hospital.application.errors import InvalidTokenError
from hospital.application.ports.security import TokenType
from hospital.bootstrap import Container, in_memory_container
from hospital.domain.errors import PermissionDeniedError
from tests.conftest import make_settings
from tests.support.actors import PASSWORD, actor_of, unique_username


async def registered(container: Container) -> Registration:
    username = unique_username()
    return await container.register_user()(RegisterCommand(
        username=username, email=f"{username}@example.com", password=PASSWORD, confirm_password=PASSWORD))


async def change_user(container: Container, user_id: int, change) -> None:
    async with container.unit_of_work() as uow:
        user = await uow.users.get(user_id)
        change(user)
        await uow.users.save(user)
        await uow.commit()


@pytest.fixture
def rotating(tmp_path: Path, clock) -> Container:
    container = in_memory_container(make_settings(tmp_path, rotate_refresh_tokens=True))
    container.clock.override(providers.Object(clock))
    return container


# --- refresh ----------------------------------------------------------------------------------------

async def test_refresh_answers_a_new_access_token_for_the_same_user(container: Container, clock) -> None:
    registration = await registered(container)
    clock.advance(timedelta(minutes=1))

    refreshed = await container.refresh_access_token()(RefreshCommand(refresh=registration.tokens.refresh))

    claims = container.tokens().decode(refreshed.access, expected_type=TokenType.ACCESS)
    assert claims.user_id == registration.user.id
    assert claims.issued_at == clock.now().replace(microsecond=0)
    assert refreshed.refresh is None  # rotation is off by default


async def test_an_access_token_is_refused_as_a_refresh_token(container: Container) -> None:
    registration = await registered(container)
    with pytest.raises(InvalidTokenError, match="wrong type"):
        await container.refresh_access_token()(RefreshCommand(refresh=registration.tokens.access))


async def test_an_expired_refresh_token_is_refused(container: Container, clock) -> None:
    registration = await registered(container)
    clock.advance(timedelta(days=7))
    with pytest.raises(InvalidTokenError):
        await container.refresh_access_token()(RefreshCommand(refresh=registration.tokens.refresh))


async def test_a_revoked_refresh_token_is_refused(container: Container) -> None:
    registration = await registered(container)
    await container.log_out()(ANONYMOUS, LogOutCommand(refresh=registration.tokens.refresh))

    with pytest.raises(InvalidTokenError) as caught:
        await container.refresh_access_token()(RefreshCommand(refresh=registration.tokens.refresh))
    assert caught.value.message == "Token is blacklisted"


async def test_a_deactivated_user_cannot_refresh(container: Container) -> None:
    registration = await registered(container)
    await change_user(container, registration.user.id, lambda user: user.deactivate())

    with pytest.raises(InvalidTokenError):
        await container.refresh_access_token()(RefreshCommand(refresh=registration.tokens.refresh))


async def test_a_password_change_retires_every_earlier_refresh_token(container: Container) -> None:
    registration = await registered(container)
    await change_user(container, registration.user.id, lambda user: user.change_password("new-hash"))

    with pytest.raises(InvalidTokenError):
        await container.refresh_access_token()(RefreshCommand(refresh=registration.tokens.refresh))


async def test_the_refresh_token_of_a_deleted_user_is_refused(container: Container) -> None:
    registration = await registered(container)
    async with container.unit_of_work() as uow:
        uow.users._remove(registration.user)  # no use case deletes users yet
        await uow.commit()

    with pytest.raises(InvalidTokenError):
        await container.refresh_access_token()(RefreshCommand(refresh=registration.tokens.refresh))


async def test_with_rotation_a_refresh_answers_a_new_refresh_token_and_revokes_the_old(rotating: Container) -> None:
    registration = await registered(rotating)
    old = registration.tokens.refresh

    refreshed = await rotating.refresh_access_token()(RefreshCommand(refresh=old))

    assert refreshed.refresh is not None and refreshed.refresh != old
    tokens = rotating.tokens()
    new_claims = tokens.decode(refreshed.refresh, expected_type=TokenType.REFRESH)
    old_claims = tokens.decode(old, expected_type=TokenType.REFRESH)
    assert new_claims.family == old_claims.jti  # the same rotation chain
    # the new one works, once
    newest = (await rotating.refresh_access_token()(RefreshCommand(refresh=refreshed.refresh))).refresh
    assert newest
    with pytest.raises(InvalidTokenError, match="blacklisted"):
        await rotating.refresh_access_token()(RefreshCommand(refresh=old))
    # reusing a revoked token revoked the whole family (RFC 9700 §4.14.2), the newest token too
    with pytest.raises(InvalidTokenError, match="blacklisted"):
        await rotating.refresh_access_token()(RefreshCommand(refresh=newest))


# --- logout -----------------------------------------------------------------------------------------

async def test_holding_the_refresh_token_is_enough_to_log_out(container: Container) -> None:
    registration = await registered(container)
    await container.log_out()(ANONYMOUS, LogOutCommand(refresh=registration.tokens.refresh))

    async with container.unit_of_work() as uow:
        jti = container.tokens().decode(registration.tokens.refresh, expected_type=TokenType.REFRESH).jti
        assert await uow.revoked_tokens.is_revoked(jti)


async def test_the_owner_may_log_out_while_authenticated(container: Container) -> None:
    registration = await registered(container)
    await container.log_out()(await actor_of(container, registration.user.id), LogOutCommand(
        refresh=registration.tokens.refresh))
    with pytest.raises(InvalidTokenError):
        await container.refresh_access_token()(RefreshCommand(refresh=registration.tokens.refresh))


async def test_someone_elses_refresh_token_is_refused_while_authenticated(container: Container) -> None:
    victim = await registered(container)
    intruder = await actor_of(container, (await registered(container)).user.id)

    with pytest.raises(PermissionDeniedError):
        await container.log_out()(intruder, LogOutCommand(refresh=victim.tokens.refresh))
    # and it was not revoked
    assert await container.refresh_access_token()(RefreshCommand(refresh=victim.tokens.refresh))


async def test_logging_out_twice_is_refused_the_second_time(container: Container) -> None:
    registration = await registered(container)
    await container.log_out()(ANONYMOUS, LogOutCommand(refresh=registration.tokens.refresh))
    with pytest.raises(InvalidTokenError, match="blacklisted"):
        await container.log_out()(ANONYMOUS, LogOutCommand(refresh=registration.tokens.refresh))


async def test_an_access_token_cannot_be_logged_out(container: Container) -> None:
    registration = await registered(container)
    with pytest.raises(InvalidTokenError, match="wrong type"):
        await container.log_out()(ANONYMOUS, LogOutCommand(refresh=registration.tokens.access))


async def test_logging_out_one_session_leaves_the_others(container: Container) -> None:
    registration = await registered(container)
    other_session = await container.log_in()(LogInCommand(username=registration.user.username, password=PASSWORD))

    await container.log_out()(ANONYMOUS, LogOutCommand(refresh=registration.tokens.refresh))

    assert await container.refresh_access_token()(RefreshCommand(refresh=other_session.refresh))


# --- who is calling ---------------------------------------------------------------------------------

async def test_identify_actor_answers_the_user_with_their_patient_record(container: Container) -> None:
    registration = await registered(container)

    actor = await container.identify_actor()(registration.tokens.access)

    async with container.unit_of_work() as uow:
        patient = await uow.patients.get_by_user(registration.user.id)
    assert actor == Actor(user_id=registration.user.id, is_staff=False, patient_id=patient.id, doctor_id=None)
    assert actor.is_patient and not actor.is_admin and not actor.is_doctor


async def test_identify_actor_knows_admins(container: Container) -> None:
    user = await container.create_superuser()(CreateSuperuserCommand(
        username="root", email="root@example.com", password=PASSWORD))
    pair = await container.log_in()(LogInCommand(username="root", password=PASSWORD))

    actor = await container.identify_actor()(pair.access)

    assert actor.user_id == user.id and actor.is_admin


async def test_identify_actor_refuses_a_refresh_token(container: Container) -> None:
    registration = await registered(container)
    with pytest.raises(InvalidTokenError, match="wrong type"):
        await container.identify_actor()(registration.tokens.refresh)


async def test_identify_actor_refuses_an_expired_access_token(container: Container, clock) -> None:
    registration = await registered(container)
    clock.advance(timedelta(minutes=15))
    with pytest.raises(InvalidTokenError):
        await container.identify_actor()(registration.tokens.access)


async def test_identify_actor_refuses_a_deactivated_user(container: Container) -> None:
    registration = await registered(container)
    await change_user(container, registration.user.id, lambda user: user.deactivate())

    with pytest.raises(InvalidTokenError) as caught:
        await container.identify_actor()(registration.tokens.access)
    assert caught.value.message == "User not found"


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
async def test_identify_actor_refuses_garbage(container: Container, token: str) -> None:
    with pytest.raises(InvalidTokenError):
        await container.identify_actor()(token)
