"""Accounts: register, log in, refresh, log out, and who the bearer of a token is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hospital.application.auditing import attempt, entry
from hospital.application.errors import InvalidCredentialsError, InvalidTokenError
from hospital.application.ports.accounts import UserView
from hospital.application.ports.audit import AuditLog
from hospital.application.ports.clock import Clock
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.security import PasswordHasher, TokenClaims, TokenService, TokenType
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import ANONYMOUS, Actor
from hospital.domain.audit import AuditAction, AuditEntry, AuditOutcome, ResourceType
from hospital.domain.errors import ErrorCollector, NotFoundError, PermissionDeniedError, ValidationError
from hospital.domain.passwords import validate_password_pair
from hospital.domain.patients import Patient
from hospital.domain.profiles import UserProfile
from hospital.domain.text import BLANK
from hospital.domain.users import User, normalize_username, username_taken


@dataclass(frozen=True, slots=True)
class TokenPair:
    """A refresh token and an access token, as login and registration hand them out."""

    refresh: str
    access: str


@dataclass(frozen=True, slots=True)
class RegisterCommand:
    """What a new user sends to register; every field's problem is reported at once (``RegisterUser``)."""

    username: str
    email: str
    password: str
    confirm_password: str
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True, slots=True)
class LogInCommand:
    """A username and password to exchange for a token pair (``LogIn``)."""

    username: str
    password: str


@dataclass(frozen=True, slots=True)
class RefreshCommand:
    """A refresh token to exchange for a new access token (``RefreshAccessToken``)."""

    refresh: str


@dataclass(frozen=True, slots=True)
class LogOutCommand:
    """The refresh token to revoke (``LogOut``)."""

    refresh: str


@dataclass(frozen=True, slots=True)
class CreateSuperuserCommand:
    """An administrator's account (``CreateSuperuser``); the password is checked as registration checks it."""

    username: str
    email: str
    password: str


@dataclass(frozen=True, slots=True)
class ChangePasswordCommand:
    """The owner's current password, and the new one twice (``ChangePassword``)."""

    current_password: str
    new_password: str
    confirm_password: str


@dataclass(frozen=True, slots=True)
class Registration:
    """The stored user (its ``id`` is an ``int``) and their first token pair."""

    user: UserView
    tokens: TokenPair


def _issue_pair(tokens: TokenService, user: User) -> TokenPair:
    assert user.id is not None
    refresh = tokens.issue(user_id=user.id, token_type=TokenType.REFRESH, version=user.token_version)
    access = tokens.issue(user_id=user.id, token_type=TokenType.ACCESS, version=user.token_version)
    return TokenPair(refresh=refresh.token, access=access.token)


def _new_user(*, username: str, email: str, first_name: str, last_name: str, password: str,
              confirm_password: str, now: datetime, is_staff: bool = False) -> User:
    """A user not yet stored nor hashed; every field and password problem is reported at once."""
    errors = ErrorCollector()
    user = errors.collect(lambda: User.register(
        username=username, email=email, first_name=first_name, last_name=last_name, password_hash="",
        joined_at=now, is_staff=is_staff,
    ))
    errors.collect(lambda: validate_password_pair(
        password, confirm_password, username=username, email=email, first_name=first_name,
        last_name=last_name,
    ))
    errors.raise_if_any()
    assert isinstance(user, User)
    return user


def _unsaved_copy(template: User, now: datetime) -> User:
    """A new, unsaved user like ``template``: each run of a unit adds its own (one added by a run that
    was rolled back carries the id that run was given)."""
    return User.register(username=template.username, email=template.email, first_name=template.first_name,
                         last_name=template.last_name, password_hash=template.password_hash, joined_at=now,
                         is_staff=template.is_staff)


async def _open_account(uow: UnitOfWork, user: User, now: datetime, by: Actor | None = None) -> None:
    """Store the user with the profile and patient record every account has, in the caller's
    transaction, and its audit event (by the new user themself unless ``by`` says who)."""
    if await uow.users.username_taken(user.username):
        raise username_taken()
    await uow.users.add(user)
    assert user.id is not None
    await uow.profiles.add(UserProfile.create(user_id=user.id, now=now))
    patient = Patient.enrol(user_id=user.id)
    await uow.patients.add(patient)
    actor = by or Actor(user_id=user.id, is_staff=user.is_staff, patient_id=patient.id)
    await uow.audit.append(entry(actor, AuditAction.CREATE, ResourceType.USER, resource_id=user.id,
                                 patient_ids=[patient.id]))


class RegisterUser:
    """Creates the user, their profile and their patient record in one transaction."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, tokens: TokenService,
                 clock: Clock) -> None:
        self._uow, self._hasher, self._tokens, self._clock = uow, hasher, tokens, clock

    async def __call__(self, command: RegisterCommand) -> Registration:
        now = self._clock.now()
        user = _new_user(
            username=command.username, email=command.email, first_name=command.first_name,
            last_name=command.last_name, password=command.password,
            confirm_password=command.confirm_password, now=now,
        )
        # Hash before the transaction opens, so no connection is held during the slow part.
        user.password_hash = await self._hasher.hash(command.password)
        user = await self._open(user, now)
        return Registration(user=UserView.of(user), tokens=_issue_pair(self._tokens, user))

    @rerun_on_concurrent_change
    async def _open(self, template: User, now: datetime) -> User:
        user = _unsaved_copy(template, now)
        async with self._uow() as uow:
            await _open_account(uow, user, now)
            await uow.commit()
        return user


def _require_credentials(username: str, password: str) -> None:
    # Blank is a malformed request (400), not a failed login (401); the original answered so too.
    errors = ErrorCollector()
    if not username.strip():
        errors.add("username", BLANK)
    if not password:
        errors.add("password", BLANK)
    errors.raise_if_any()


class LogIn:
    """Username and password for a token pair; the same refusal for an unknown user and a wrong password.
    Audited either way, with the username as sent (never the password)."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, tokens: TokenService,
                 clock: Clock, audit: AuditLog) -> None:
        self._uow, self._hasher, self._tokens, self._clock = uow, hasher, tokens, clock
        self._audit = audit

    async def __call__(self, command: LogInCommand) -> TokenPair:
        try:
            return await self._log_in(command)
        except (InvalidCredentialsError, ValidationError) as error:
            outcome = AuditOutcome.INVALID if isinstance(error, ValidationError) else AuditOutcome.DENIED
            await self._audit.record(entry(ANONYMOUS, AuditAction.LOGIN, ResourceType.USER, outcome=outcome,
                                           username=command.username))
            raise

    async def _log_in(self, command: LogInCommand) -> TokenPair:
        username, password = command.username, command.password
        _require_credentials(username, password)
        try:
            username = normalize_username(username)
        except ValidationError:
            await self._hasher.verify_dummy(password)
            raise InvalidCredentialsError() from None
        user = await self._user_named(username)
        if user is None:
            await self._hasher.verify_dummy(password)
            raise InvalidCredentialsError()
        if not await self._hasher.verify(user.password_hash, password) or not user.is_active:
            raise InvalidCredentialsError()
        rehash = self._hasher.needs_rehash(user.password_hash)
        new_hash = await self._hasher.hash(password) if rehash else None
        return _issue_pair(self._tokens, await self._record_login(user, new_hash, command.username))

    @rerun_on_concurrent_change
    async def _user_named(self, username: str) -> User | None:
        async with self._uow() as uow:
            return await uow.users.get_by_username(username)

    @rerun_on_concurrent_change
    async def _record_login(self, verified: User, new_hash: str | None, sent: str) -> User:
        async with self._uow() as uow:
            stored = await uow.users.get(verified.id)  # type: ignore[arg-type]
            # The password checked must still be the user's (a change in between refuses it).
            if stored is None or not stored.is_active or stored.password_hash != verified.password_hash:
                raise InvalidCredentialsError()
            stored.logged_in(self._clock.now(), rehashed=new_hash)
            await uow.users.save(stored)
            actor = await uow.users.actor_for(verified.id) or Actor(user_id=verified.id)  # type: ignore[arg-type]
            await uow.audit.append(entry(actor, AuditAction.LOGIN, ResourceType.USER, resource_id=verified.id,
                                         username=sent))
            await uow.commit()
        return stored


def family_marker(family: str) -> str:
    """The revoked-token key that stands for a whole rotation family (RFC 9700 §4.14.2).

    Stored beside revoked jtis (a jti is 32 hex digits, so the prefix cannot collide with one).
    """
    return f"family:{family}"


BLACKLISTED = "Token is blacklisted"


async def _valid_refresh(uow: UnitOfWork, tokens: TokenService, token: str) -> tuple[TokenClaims, User]:
    claims = tokens.decode(token, expected_type=TokenType.REFRESH)
    if await uow.revoked_tokens.is_revoked(claims.jti):
        raise InvalidTokenError(BLACKLISTED)
    if claims.family and await uow.revoked_tokens.is_revoked(family_marker(claims.family)):
        raise InvalidTokenError(BLACKLISTED)
    user = await uow.users.get(claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.version:
        raise InvalidTokenError()
    return claims, user


async def _revoke(uow: UnitOfWork, claims: TokenClaims, now: datetime) -> None:
    """Revoke the token, or refuse it if another request revoked it first: of concurrent refreshes
    (with rotation) and logouts of one token, exactly one gets past this point. The store decides
    in one statement (RevokedTokenRepository.revoke), after the checks of ``_valid_refresh``."""
    if not await uow.revoked_tokens.revoke(jti=claims.jti, user_id=claims.user_id, expires_at=claims.expires_at,
                                           revoked_at=now):
        raise InvalidTokenError(BLACKLISTED)


async def _revoke_family(uow: UnitOfWork, claims: TokenClaims, now: datetime) -> None:
    """A revoked refresh token presented again means it was stolen or replayed: revoke its whole family.

    Every later token of the family was issued before now with the same lifetime, so the marker
    outlives them all if it lasts one lifetime from now.
    """
    if not claims.family:
        return
    lifetime = claims.expires_at - claims.issued_at
    await uow.revoked_tokens.revoke(jti=family_marker(claims.family), user_id=claims.user_id,
                                    expires_at=now + lifetime, revoked_at=now)
    await uow.audit.append(entry(Actor(user_id=claims.user_id), AuditAction.TOKEN_REUSE, ResourceType.USER,
                                 resource_id=claims.user_id, outcome=AuditOutcome.DENIED))
    await uow.commit()


async def _revoke_family_on_reuse(uow: UnitOfWork, tokens: TokenService, token: str, now: datetime) -> None:
    """``_revoke_family`` if ``token`` is a refresh token that was revoked (not one invalid otherwise)."""
    try:
        claims = tokens.decode(token, expected_type=TokenType.REFRESH)
    except InvalidTokenError:
        return
    if await uow.revoked_tokens.is_revoked(claims.jti):
        await _revoke_family(uow, claims, now)


@dataclass(frozen=True, slots=True)
class RefreshedTokens:
    """A new access token; with rotation on, a new refresh token too (``refresh`` is None otherwise)."""

    access: str
    refresh: str | None = None


class RefreshAccessToken:
    """A new access token for a refresh token; with rotation on, a new refresh token too."""

    def __init__(self, uow: UnitOfWorkFactory, tokens: TokenService, clock: Clock, audit: AuditLog,
                 rotate: bool = False) -> None:
        self._uow, self._tokens, self._clock, self._rotate = uow, tokens, clock, rotate
        self._audit = audit

    async def __call__(self, command: RefreshCommand) -> RefreshedTokens:
        async with attempt(self._audit, ANONYMOUS, AuditAction.REFRESH, ResourceType.USER):
            refreshed, unchanged = await self._refresh(command.refresh)
        if unchanged is not None:  # nothing changed: not a unit of work's event
            await self._audit.record(unchanged)
        return refreshed

    @rerun_on_concurrent_change
    async def _refresh(self, refresh_token: str) -> tuple[RefreshedTokens, AuditEntry | None]:
        """The new tokens, and the event to record outside the unit when it changed nothing (no rotation)."""
        async with self._uow() as uow:
            try:
                claims, user = await _valid_refresh(uow, self._tokens, refresh_token)
            except InvalidTokenError:
                await _revoke_family_on_reuse(uow, self._tokens, refresh_token, self._clock.now())
                raise
            access = self._tokens.issue(user_id=claims.user_id, token_type=TokenType.ACCESS,
                                        version=user.token_version)
            refreshed = entry(Actor(user_id=claims.user_id, is_staff=user.is_staff), AuditAction.REFRESH,
                              ResourceType.USER, resource_id=claims.user_id)
            if not self._rotate:
                return RefreshedTokens(access=access.token), refreshed
            now = self._clock.now()
            try:
                await _revoke(uow, claims, now)
            except InvalidTokenError:
                # A concurrent refresh or logout revoked it since the check: a reuse like any other.
                await _revoke_family(uow, claims, now)
                raise
            refresh = self._tokens.issue(user_id=claims.user_id, token_type=TokenType.REFRESH,
                                         version=user.token_version, family=claims.family or claims.jti)
            await uow.audit.append(refreshed)
            await uow.commit()
        return RefreshedTokens(access=access.token, refresh=refresh.token), None


class LogOut:
    """Revokes a refresh token. Holding it is enough; someone else's is refused. Racing a refresh
    of the same token (with rotation) or another logout, only one of them succeeds."""

    def __init__(self, uow: UnitOfWorkFactory, tokens: TokenService, clock: Clock, audit: AuditLog) -> None:
        self._uow, self._tokens, self._clock, self._audit = uow, tokens, clock, audit

    async def __call__(self, actor: Actor, command: LogOutCommand) -> None:
        async with attempt(self._audit, actor, AuditAction.LOGOUT, ResourceType.USER):
            await self._log_out(actor, command.refresh)

    @rerun_on_concurrent_change
    async def _log_out(self, actor: Actor, refresh_token: str) -> None:
        async with self._uow() as uow:
            claims, user = await _valid_refresh(uow, self._tokens, refresh_token)
            if actor.is_authenticated and actor.user_id != claims.user_id:
                raise PermissionDeniedError("You cannot log out another user's session.")
            await _revoke(uow, claims, self._clock.now())
            by = actor if actor.is_authenticated else Actor(user_id=claims.user_id, is_staff=user.is_staff)
            await uow.audit.append(entry(by, AuditAction.LOGOUT, ResourceType.USER, resource_id=claims.user_id))
            await uow.commit()


class IdentifyActor:
    """Who the bearer of an access token is; refused if the user is gone or inactive."""

    def __init__(self, reads: ReadSide, tokens: TokenService) -> None:
        self._reads, self._tokens = reads, tokens

    @rerun_on_concurrent_change
    async def __call__(self, access_token: str) -> Actor:
        claims = self._tokens.decode(access_token, expected_type=TokenType.ACCESS)
        actor = await self._reads.actors.actor_for(claims.user_id)
        if actor is None:
            raise InvalidTokenError("User not found")
        return actor


class ActorOfUser:
    """The ``Actor`` a Python caller acts as: the active user with this id, as their access token would give.

    For services that call the use cases directly (no HTTP, no token); ``hospital.bootstrap.actor_for``.
    """

    def __init__(self, reads: ReadSide) -> None:
        self._reads = reads

    @rerun_on_concurrent_change
    async def __call__(self, user_id: int) -> Actor:
        actor = await self._reads.actors.actor_for(user_id)
        if actor is None:
            raise NotFoundError(f"No active user has the id {user_id}.")
        return actor


class CreateSuperuser:
    """An administrator account (is_staff), with its profile and patient record like any user."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow, self._hasher, self._clock = uow, hasher, clock

    @rerun_on_concurrent_change
    async def check_username(self, username: str) -> None:
        """Refuse a malformed or taken username before anyone types a password for it."""
        normalized = normalize_username(username)
        async with self._uow() as uow:
            if await uow.users.username_taken(normalized):
                raise username_taken()

    async def __call__(self, command: CreateSuperuserCommand) -> UserView:
        now = self._clock.now()
        user = _new_user(username=command.username, email=command.email, first_name="", last_name="",
                         password=command.password, confirm_password=command.password, now=now, is_staff=True)
        user.password_hash = await self._hasher.hash(command.password)
        return UserView.of(await self._open(user, now))

    @rerun_on_concurrent_change
    async def _open(self, template: User, now: datetime) -> User:
        user = _unsaved_copy(template, now)
        async with self._uow() as uow:
            await _open_account(uow, user, now, by=ANONYMOUS)  # an operator at the command line
            await uow.commit()
        return user


WRONG_PASSWORD = "Your old password was entered incorrectly."


class ChangePassword:
    """The owner changes their password, proving the current one; every refresh token issued before is refused.

    A library call (no HTTP route in the guide):
    ``container.change_password()(actor, ChangePasswordCommand(
        current_password=..., new_password=..., confirm_password=...))``.
    """

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, audit: AuditLog) -> None:
        self._uow, self._hasher, self._audit = uow, hasher, audit

    async def __call__(self, actor: Actor, command: ChangePasswordCommand) -> None:
        async with attempt(self._audit, actor, AuditAction.PASSWORD_CHANGE, ResourceType.USER,
                           resource_id=actor.user_id):
            await self._change(actor, command)

    async def _change(self, actor: Actor, command: ChangePasswordCommand) -> None:
        current_password, new_password = command.current_password, command.new_password
        if not actor.is_authenticated or actor.user_id is None:
            raise InvalidCredentialsError()
        user = await self._user(actor.user_id)
        if user is None or not user.is_active:
            raise InvalidCredentialsError()
        if not await self._hasher.verify(user.password_hash, current_password):
            raise ValidationError({"current_password": [WRONG_PASSWORD]})
        validate_password_pair(new_password, command.confirm_password, username=user.username, email=user.email,
                               first_name=user.first_name, last_name=user.last_name)
        await self._store(actor, user, await self._hasher.hash(new_password))

    @rerun_on_concurrent_change
    async def _user(self, user_id: int) -> User | None:
        async with self._uow() as uow:
            return await uow.users.get(user_id)

    @rerun_on_concurrent_change
    async def _store(self, actor: Actor, verified: User, new_hash: str) -> None:
        async with self._uow() as uow:
            stored = await uow.users.get(verified.id)  # type: ignore[arg-type]
            if stored is None:
                raise InvalidCredentialsError()
            if stored.password_hash != verified.password_hash:  # changed since it was checked
                raise ValidationError({"current_password": [WRONG_PASSWORD]})
            stored.change_password(new_hash)  # bumps token_version
            await uow.users.save(stored)
            await uow.audit.append(entry(actor, AuditAction.PASSWORD_CHANGE, ResourceType.USER,
                                         resource_id=actor.user_id))
            await uow.commit()


class DeactivateUser:
    """An administrator deactivates an account: it can no longer log in, and its refresh tokens are refused."""

    def __init__(self, uow: UnitOfWorkFactory, audit: AuditLog) -> None:
        self._uow, self._audit = uow, audit

    async def __call__(self, actor: Actor, user_id: int) -> None:
        async with attempt(self._audit, actor, AuditAction.DEACTIVATE, ResourceType.USER, resource_id=user_id):
            if not actor.is_admin:
                raise PermissionDeniedError()
            await self._deactivate(actor, user_id)

    @rerun_on_concurrent_change
    async def _deactivate(self, actor: Actor, user_id: int) -> None:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFoundError()
            if user.is_active:
                user.deactivate()  # bumps token_version
                await uow.users.save(user)
                await uow.audit.append(entry(actor, AuditAction.DEACTIVATE, ResourceType.USER,
                                             resource_id=user_id))
                await uow.commit()
