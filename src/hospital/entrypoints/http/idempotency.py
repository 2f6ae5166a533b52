"""The Idempotency-Key header on creating POSTs (SCHEDULING.md section 9; the mechanism is
application/idempotency.py): a repeat of a completed request answers the first answer again with
``Idempotent-Replayed: true``; the same key with another request is a 422; one still running, a 409."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.params import HeaderParameter

from hospital.application.actor import Actor
from hospital.application.idempotency import (
    IdempotencyOutcomes,
    IdempotentRequest,
    KeyInUseError,
    KeyReusedError,
    StillRunningError,
    pending_request,
    valid_key,
)
from hospital.domain.errors import ClashError

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


async def idempotently(request: Request, actor: Actor, outcomes: IdempotencyOutcomes, key: str | None,
                       run: Callable[[], Awaitable[Any]], status: int) -> Any:
    """``run()``'s answer (a struct, encoded with ``status``), once per key."""
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
            return _json(stored.body, stored.status_code, replayed=True)
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
            return _json(stored.body, stored.status_code, replayed=True)
        if isinstance(error, ClashError):
            await outcomes.record(this, 409, _ENCODER.encode(error.errors).decode())
        raise
    body = _ENCODER.encode(answer)
    await outcomes.record(this, status, body.decode())
    return _json(body, status)
