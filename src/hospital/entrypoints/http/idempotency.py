"""The Idempotency-Key header on creating POSTs (SCHEDULING.md section 9; the mechanism is
application/idempotency.py): a repeat of a completed request answers the first answer again with
``Idempotent-Replayed: true``; the same key with another request is a 422; one still running, a 409.

Every creating POST takes the header without a line of its own: ``make_idempotent`` wraps the
handlers the app mounts (routes/__init__.py), each POST that answers 201 and each marked
``idempotent=True`` (a cancel, which answers 200), so a new creating endpoint has it too.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from functools import partial, wraps
from typing import Annotated, Any, Protocol, get_type_hints

import msgspec
from litestar import MediaType, Request, Response
from litestar.handlers import HTTPRouteHandler
from litestar.params import HeaderParameter

from hospital.application.actor import ANONYMOUS, Actor
from hospital.application.idempotency import (
    IdempotencyOutcomes,
    IdempotentRequest,
    KeyInUseError,
    KeyReusedError,
    StillRunningError,
    StoredOutcome,
    pending_request,
    valid_key,
)
from hospital.bootstrap import Container
from hospital.domain.errors import ClashError, DomainError
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.auth import provide_actor
from hospital.entrypoints.http.dependencies import Services

HEADER = "Idempotency-Key"
IdempotencyKey = Annotated[str | None, HeaderParameter(
    name=HEADER, required=False, max_length=255, pattern=r"^[\x21-\x7E]{1,255}$",
    description="Send the same key again (1..255 visible ASCII characters) to get the first answer again "
                "instead of a second write; kept 24 hours, per caller.")]
_ENCODER = msgspec.json.Encoder()


def _json(body: bytes | str, status: int, replayed: bool = False) -> Response[Any]:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def _detail(message: str, status: int) -> Response[Any]:
    return _json(_ENCODER.encode({"detail": message}), status)


class AnswerSecrets(Protocol):
    """How an answer holding secrets is kept for a repeat (a handler's ``opt["answer_secrets"]``): the
    record keeps ``kept(body)``, and a repeat gets ``replayed(...)``, rebuilt from it for this request.
    Without it the answer is kept as sent, in the clear, for 24 hours."""

    def kept(self, body: bytes) -> bytes: ...

    async def replayed(self, request: Request, container: Container, kept: str) -> bytes: ...


async def idempotently(request: Request, actor: Actor, outcomes: IdempotencyOutcomes, key: str | None,
                       run: Callable[[], Awaitable[Any]], status: int,
                       replay: Callable[[str], Awaitable[bytes]] | None = None,
                       keep: Callable[[bytes], bytes] | None = None) -> Any:
    """``run()``'s answer (a struct, encoded with ``status``), once per key. ``keep`` and ``replay``:
    ``AnswerSecrets`` of the handler, if its answer holds secrets."""

    async def replayed(stored: StoredOutcome) -> Response[Any]:
        if replay is None or not 200 <= stored.status_code < 300:
            return _json(stored.body, stored.status_code, replayed=True)
        return _json(await replay(stored.body), stored.status_code, replayed=True)

    if key is None:
        return await run()
    if not valid_key(key):
        return _detail(f"{HEADER} must be 1 to 255 visible ASCII characters.", 400)
    if actor.user_id is not None:
        owner = f"user:{actor.user_id}"
    else:
        owner = f"address:{request.app.state.client_address(request.scope)}"
    this = IdempotentRequest.of(owner, key, request.method, request.url.path, await request.body())
    try:
        stored = await outcomes.stored(this)
        if stored is not None:
            return await replayed(stored)
        token = pending_request.set(this)
        try:
            answer = await run()
        finally:
            pending_request.reset(token)
    except KeyReusedError as error:
        return _detail(error.message, 422)
    except StillRunningError as error:
        return _detail(error.message, 409)
    except (KeyInUseError, ClashError) as error:
        # A request with the same key may have won meanwhile: its answer, if so.
        try:
            stored = await outcomes.stored_after_refusal(this)
        except KeyReusedError as reused:
            return _detail(reused.message, 422)
        except StillRunningError as running:
            return _detail(running.message, 409)
        if stored is not None:
            return await replayed(stored)
        if isinstance(error, ClashError):
            await outcomes.record(this, 409, _ENCODER.encode(error.errors).decode())
        raise
    if isinstance(answer, Response):  # a handler that answers with its own status or bytes
        status, body = answer.status_code, answer.render(answer.content, MediaType.JSON)
    else:
        body = _ENCODER.encode(answer)
    await outcomes.record(this, status, (body if keep is None else keep(body)).decode())
    return _json(body, status)


def creates(handler: HTTPRouteHandler) -> bool:
    """A POST that creates something: it answers 201, or says so (``idempotent=True``)."""
    return "POST" in handler.http_methods and (handler.status_code == 201 or bool(handler.opt.get("idempotent")))


def make_idempotent(handlers: Iterable[HTTPRouteHandler]) -> None:
    """Give each creating handler (``creates``) the Idempotency-Key header: its function is wrapped in
    ``idempotently``, with ``idempotency_key`` (and ``request`` and ``container``, if it did not take
    them) added to its signature, so Litestar injects them and the OpenAPI documents the header and
    the 409/422 it may answer. The caller is the handler's ``actor``; a handler that takes none (an
    anonymous endpoint) is given one only when a key is sent, an invalid token counting as anonymous."""
    for handler in handlers:
        if not isinstance(handler, HTTPRouteHandler) or not creates(handler):
            continue
        if getattr(handler.fn, "idempotent", False):
            continue
        secrets: AnswerSecrets | None = handler.opt.get("answer_secrets")
        # A route handler called with a function takes it.
        handler(_wrapped(handler.fn, handler.status_code, secrets))
        handler.responses = {**openapi.errors(409, 422), **(handler.responses or {})}


KEY_PARAMETER = "idempotency_key"
_ADDED = {"request": Request, "container": Services, KEY_PARAMETER: IdempotencyKey}


def _wrapped(function: Callable[..., Awaitable[Any]], status: int,
             secrets: AnswerSecrets | None) -> Callable[..., Awaitable[Any]]:
    signature = inspect.signature(function)
    hints = get_type_hints(function, include_extras=True)
    taken = set(signature.parameters)
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                               default=None if name == KEY_PARAMETER else inspect.Parameter.empty)
             for name, annotation in _ADDED.items() if name not in taken]
    # The added ones keyword-only, after the handler's own (whose defaults may be followed by none).
    parameters = [parameter.replace(annotation=hints.get(name, parameter.annotation))
                  for name, parameter in signature.parameters.items()]

    @wraps(function)
    async def idempotent_handler(**arguments: Any) -> Any:
        key = arguments.pop(KEY_PARAMETER)
        request: Request = arguments["request"] if "request" in taken else arguments.pop("request")
        container: Container = arguments["container"] if "container" in taken else arguments.pop("container")
        if key is None:  # what idempotently() does without a key, without building its arguments
            return await function(**arguments)
        actor = arguments.get("actor")
        if actor is None:
            try:
                actor = await provide_actor(container)
            except DomainError:
                actor = ANONYMOUS
        replay = None if secrets is None else partial(secrets.replayed, request, container)
        return await idempotently(request, actor or ANONYMOUS, container.idempotency_outcomes(), key,
                                  lambda: function(**arguments), status, replay,
                                  None if secrets is None else secrets.kept)

    del idempotent_handler.__wrapped__  # Litestar reads the signature below, not the handler's own
    idempotent_handler.__signature__ = signature.replace(parameters=[*parameters, *extra])  # type: ignore[attr-defined]
    idempotent_handler.__annotations__ = {**hints, **{p.name: p.annotation for p in extra}}
    idempotent_handler.idempotent = True  # type: ignore[attr-defined]
    return idempotent_handler
