"""Authentication events are audited: logins (username as sent, never the password), logouts,
refreshes, refresh-token reuse, deactivations and password changes; registrations as creates."""

from __future__ import annotations

from pathlib import Path

import pytest
from dependency_injector import providers

from hospital.application.accounts import (
    ChangePasswordCommand,
    LogInCommand,
    LogOutCommand,
    RefreshCommand,
    RegisterCommand,
)
from hospital.application.actor import ANONYMOUS
from hospital.bootstrap import Container, in_memory_container
from hospital.domain.audit import ActorRole, AuditAction, AuditOutcome, ResourceType
from hospital.domain.errors import DomainError
from tests.conftest import make_settings
from tests.support.actors import PASSWORD, actor_of, admin, unique_username
from tests.support.audit_watch import AuditWatch


async def registered(container: Container):
    username = unique_username()
    return await container.register_user()(RegisterCommand(
        username=username, email=f"{username}@example.com", password=PASSWORD, confirm_password=PASSWORD))


async def test_a_registration_is_audited_as_the_new_user_creating_their_account(container) -> None:
    audit = await AuditWatch(container).start()
    registration = await registered(container)
    event = await audit.one()
    assert (event.action, event.resource_type, event.resource_id, event.actor_user_id, event.actor_role) == (
        AuditAction.CREATE, ResourceType.USER, registration.user.id, registration.user.id, ActorRole.PATIENT)
    assert len(event.patient_ids) == 1


async def test_logins_are_audited_with_the_username_as_sent_and_never_the_password(container) -> None:
    registration = await registered(container)
    audit = await AuditWatch(container).start()
    sent = f"  {registration.user.username.upper()} "
    await container.log_in()(LogInCommand(sent, PASSWORD))
    event = await audit.one()
    assert (event.action, event.outcome, event.actor_user_id, event.username) == (
        AuditAction.LOGIN, AuditOutcome.SUCCESS, registration.user.id, sent)
    for username, password, outcome in [(registration.user.username, "wrong-Password-1", AuditOutcome.DENIED),
                                        ("nobody-here", PASSWORD, AuditOutcome.DENIED),
                                        ("", PASSWORD, AuditOutcome.INVALID)]:
        with pytest.raises(DomainError):
            await container.log_in()(LogInCommand(username, password))
        failed = await audit.one()
        assert (failed.action, failed.outcome, failed.username, failed.actor_user_id) == (
            AuditAction.LOGIN, outcome, username, None)
        assert password not in repr(failed)


async def test_refreshes_and_logouts_are_audited_and_refused_ones_too(container) -> None:
    registration = await registered(container)
    audit = await AuditWatch(container).start()
    await container.refresh_access_token()(RefreshCommand(registration.tokens.refresh))
    event = await audit.one()
    assert (event.action, event.outcome, event.actor_user_id) == (
        AuditAction.REFRESH, AuditOutcome.SUCCESS, registration.user.id)
    await container.log_out()(ANONYMOUS, LogOutCommand(registration.tokens.refresh))
    event = await audit.one()
    assert (event.action, event.outcome, event.actor_user_id) == (
        AuditAction.LOGOUT, AuditOutcome.SUCCESS, registration.user.id)
    with pytest.raises(DomainError):
        await container.log_out()(ANONYMOUS, LogOutCommand(registration.tokens.refresh))
    refused = await audit.one()
    assert (refused.action, refused.outcome) == (AuditAction.LOGOUT, AuditOutcome.DENIED)
    with pytest.raises(DomainError):
        await container.refresh_access_token()(RefreshCommand(registration.tokens.access))
    event = await audit.one()
    assert (event.action, event.outcome) == (AuditAction.REFRESH, AuditOutcome.DENIED)
    assert registration.tokens.access not in repr(event) and registration.tokens.refresh not in repr(event)


async def test_a_reused_refresh_token_is_audited(tmp_path: Path, clock) -> None:
    container = in_memory_container(make_settings(tmp_path, rotate_refresh_tokens=True))
    container.clock.override(providers.Object(clock))
    registration = await registered(container)
    await container.refresh_access_token()(RefreshCommand(registration.tokens.refresh))
    audit = await AuditWatch(container).start()
    with pytest.raises(DomainError):
        await container.refresh_access_token()(RefreshCommand(registration.tokens.refresh))
    events = await audit.new()
    assert [(e.action, e.outcome) for e in events] == [
        (AuditAction.TOKEN_REUSE, AuditOutcome.DENIED), (AuditAction.REFRESH, AuditOutcome.DENIED)]
    assert events[0].actor_user_id == registration.user.id


async def test_password_changes_and_deactivations_are_audited(container) -> None:
    registration = await registered(container)
    user = await actor_of(container, registration.user.id)
    boss = await admin(container)
    audit = await AuditWatch(container).start()
    with pytest.raises(DomainError):
        await container.change_password()(user, ChangePasswordCommand("not-the-password", "New-Password-42",
                                                                      "New-Password-42"))
    refused = await audit.one()
    assert (refused.action, refused.outcome) == (AuditAction.PASSWORD_CHANGE, AuditOutcome.INVALID)
    await container.change_password()(user, ChangePasswordCommand(PASSWORD, "New-Password-42x", "New-Password-42x"))
    event = await audit.one()
    assert (event.action, event.outcome, event.actor_user_id) == (
        AuditAction.PASSWORD_CHANGE, AuditOutcome.SUCCESS, registration.user.id)
    with pytest.raises(DomainError):
        await container.deactivate_user()(user, boss.user_id)
    assert (await audit.one()).outcome is AuditOutcome.DENIED
    await container.deactivate_user()(boss, registration.user.id)
    event = await audit.one()
    assert (event.action, event.resource_id, event.actor_user_id, event.actor_role) == (
        AuditAction.DEACTIVATE, registration.user.id, boss.user_id, ActorRole.ADMIN)
