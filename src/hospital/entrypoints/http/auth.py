"""Bearer-token authentication: the Actor of each request, anonymous when no token is sent."""

from __future__ import annotations

from contextvars import ContextVar

from hospital.application.actor import ANONYMOUS, Actor
from hospital.application.errors import InvalidTokenError
from hospital.entrypoints.http.dependencies import Services

# The Authorization header of the request being served (None: it sent none), set by
# RequestContextMiddleware in its one pass over the headers, which wraps every request. The rate
# limiter and the actor's dependency read it here: neither scans the headers again, and the
# dependency takes no ``request`` (Litestar would build and check a signature model for it on every
# request). No default: a request served without the middleware fails loudly instead of being anonymous.
presented_authorization: ContextVar[bytes | None] = ContextVar("presented_authorization")


def bearer_token(header: bytes | None) -> str | None:
    if header is None:
        return None
    scheme, _, token = header.decode("latin-1").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("Authorization header must be: Bearer <token>")
    return token.strip()


async def provide_actor(container: Services) -> Actor:
    # Taking ``container`` as a dependency puts the two in sequence: Litestar resolves dependencies
    # of one level concurrently, in an anyio task group per request (10% of a list request's time).
    try:
        header = presented_authorization.get()
    except LookupError:
        raise RuntimeError("The request's Authorization header was not read: serve the app create_app builds") from None
    token = bearer_token(header)
    if token is None:
        return ANONYMOUS
    return await container.identify_actor()(token)
