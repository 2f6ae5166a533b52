"""/api/user/register, login, token/refresh, logout."""

from __future__ import annotations

import msgspec
from litestar import Request, post

from hospital.application.accounts import LogInCommand, LogOutCommand, RefreshCommand, RegisterCommand
from hospital.bootstrap import Container
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.schemas.accounts import (
    AccessTokenOut,
    LoginRequest,
    MessageOut,
    RefreshRequest,
    RegisterRequest,
    RegistrationOut,
    TokenPairOut,
    UserOut,
)

TAGS = ["Authentication"]


class RegistrationSecrets:
    """A repeated registration (Idempotency-Key) without its tokens kept: they would sit in the clear in
    ``idempotency_records`` for 24 hours. The record keeps the answer with ``tokens`` null; a repeat
    (the very bytes of the first request, password included) logs in with those credentials and
    answers the first answer with that login's tokens, so a password changed or an account
    deactivated since refuses it as a login would."""

    @staticmethod
    def kept(body: bytes) -> bytes:
        answer = msgspec.json.decode(body)
        answer["tokens"] = None
        return msgspec.json.encode(answer)

    @staticmethod
    async def replayed(request: Request, container: Container, kept: str) -> bytes:
        data = to_struct(RegisterRequest, await read_body(request))
        tokens = await container.log_in()(LogInCommand(username=data.username, password=data.password))
        answer = msgspec.json.decode(kept)
        answer["tokens"] = {"refresh": tokens.refresh, "access": tokens.access}
        return msgspec.json.encode(answer)


@post("/api/user/register/", tags=TAGS, status_code=201, operation_class=openapi.body(RegisterRequest),
      responses=openapi.errors(400, 429), summary="Register a new user",
      opt={"answer_secrets": RegistrationSecrets})
async def register(request: Request, container: Services) -> RegistrationOut:
    data = to_struct(RegisterRequest, await read_body(request))
    registration = await container.register_user()(RegisterCommand(
        username=data.username, email=data.email, password=data.password,
        confirm_password=data.confirm_password, first_name=data.first_name, last_name=data.last_name,
    ))
    tokens = registration.tokens
    return RegistrationOut(
        message="User registered successfully.",
        tokens=TokenPairOut(refresh=tokens.refresh, access=tokens.access),
        user=UserOut.of(registration.user),
    )


@post("/api/user/login/", tags=TAGS, status_code=200, operation_class=openapi.body(LoginRequest),
      responses=openapi.errors(400, 401, 429), summary="Log in")
async def login(request: Request, container: Services) -> TokenPairOut:
    data = to_struct(LoginRequest, await read_body(request))
    tokens = await container.log_in()(LogInCommand(username=data.username, password=data.password))
    return TokenPairOut(refresh=tokens.refresh, access=tokens.access)


@post("/api/user/token/refresh/", tags=TAGS, status_code=200, operation_class=openapi.body(RefreshRequest),
      responses=openapi.errors(400, 401, 429), summary="Refresh the access token")
async def refresh_token(request: Request, container: Services) -> AccessTokenOut:
    data = to_struct(RefreshRequest, await read_body(request))
    refreshed = await container.refresh_access_token()(RefreshCommand(refresh=data.refresh))
    if refreshed.refresh is None:
        return AccessTokenOut(access=refreshed.access)
    return AccessTokenOut(access=refreshed.access, refresh=refreshed.refresh)


@post("/api/user/logout/", tags=TAGS, status_code=200, operation_class=openapi.body(RefreshRequest),
      responses=openapi.errors(400, 401, 403, 429), summary="Log out (revoke the refresh token)")
async def logout(request: Request, container: Services, actor: CurrentActor) -> MessageOut:
    data = to_struct(RefreshRequest, await read_body(request))
    await container.log_out()(actor, LogOutCommand(refresh=data.refresh))
    return MessageOut(message="Successfully logged out.")


HANDLERS = [register, login, refresh_token, logout]
