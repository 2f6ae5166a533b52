"""ASGI middleware: rate limits by scope, and the headers every response carries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec
from litestar.types import ASGIApp, Receive, Scope, Send

from hospital.application.errors import AuthenticationError
from hospital.application.ports.rate_limit import RateLimiter
from hospital.application.ports.security import TokenService, TokenType
from hospital.entrypoints.http.auth import presented_authorization
from hospital.entrypoints.http.client_address import ClientAddressResolver
from hospital.entrypoints.http.route_calls import without_exception_layer
from hospital.settings import RateLimit

# Endpoints limited per client address whoever calls them: the ones that guess passwords,
# mint tokens or take anonymous writes.
AUTH_SCOPE = {
    ("POST", "/api/user/register"),
    ("POST", "/api/user/login"),
    ("POST", "/api/user/token/refresh"),
    ("POST", "/api/user/logout"),
    ("POST", "/contacts"),
}


class RateLimitMiddleware:
    """Limits by scope. The limiter and the token service are the ones the app serves with at the time
    of the request (``app.state``, set by ``serve_container``), not the ones it was built with."""

    def __init__(self, app: ASGIApp, *, client_address: ClientAddressResolver, auth: RateLimit,
                 anon: RateLimit, user: RateLimit) -> None:
        self.app = without_exception_layer(app)
        self._client_address = client_address
        self._auth, self._anon, self._user = auth, anon, user

    @staticmethod
    def _user_id(scope: Scope, tokens: TokenService) -> int | None:
        try:
            header = presented_authorization.get()  # read once per request, by RequestContextMiddleware
        except LookupError:  # served without it
            header = next((value for name, value in scope.get("headers", []) if name == b"authorization"), None)
        if header is None:
            return None
        scheme, _, token = header.decode("latin-1").strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            return tokens.decode(token.strip(), expected_type=TokenType.ACCESS).user_id
        except AuthenticationError:
            return None  # the request will be refused with 401; count it as anonymous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/media/", "/schema", "/health")):
            await self.app(scope, receive, send)
            return
        state = scope["litestar_app"].state
        path = scope["path"].rstrip("/") or "/"
        if (scope["method"], path) in AUTH_SCOPE:
            key, rate = f"auth:{self._client_address(scope)}", self._auth
        elif (user_id := self._user_id(scope, state.tokens)) is not None:
            key, rate = f"user:{user_id}", self._user
        else:
            key, rate = f"anon:{self._client_address(scope)}", self._anon
        limiter: RateLimiter = state.rate_limiter
        decision = await limiter.hit(key, limit=rate.requests, period_seconds=rate.period_seconds)
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        body = msgspec.json.encode(
            {"detail": f"Request was throttled. Expected available in {decision.retry_after} seconds."}
        )
        await send({
            "type": "http.response.start", "status": 429,
            "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(decision.retry_after).encode()),
                (b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store"),
            ],
        })
        await send({"type": "http.response.body", "body": body})


NOT_FOUND = msgspec.json.encode({"detail": "Not found."})
_NOT_FOUND_LENGTH = str(len(NOT_FOUND)).encode()


class SecurityHeaders:
    """nosniff everywhere; API data is never cached by browsers or proxies; no error is an HTML page.

    Litestar answers unknown /schema/* paths (/schema/redoc, ...) with an HTML 404 page of its own,
    outside the exception handlers; DESIGN.md §2 says never HTML, so an HTML error is answered as
    the API's JSON ``{"detail": "Not found."}`` instead.

    Applied by ``RequestContextMiddleware`` (request_context.py), which wraps the whole application
    (not a per-route middleware), so 404s for unknown paths, 405s and errors raised before routing
    carry the headers too; it adds them in the same wrapper of ``send`` that adds the request id (one
    layer, one copy of the headers per response). It also corrects ``Allow`` on automatic OPTIONS
    answers: Litestar builds that handler from the first handler registered on a path and misses
    methods added by later handlers on the same path; ``allowed_methods`` (path template -> methods,
    from the app's merged routes) is the whole truth.
    """

    def __init__(self, allowed_methods: Mapping[str, str] | None = None) -> None:
        self._allowed = dict(allowed_methods or {})

    def headers(self, scope: Scope, status: int, sent: Iterable[tuple[bytes, bytes]], *, is_media: bool,
                is_options: bool, dropped: bytes) -> tuple[list[tuple[bytes, bytes]], bool]:
        """The headers of a response start (``sent``) with the security headers added, and without
        any named ``dropped`` (lower case), which the caller sets itself; and whether the response is
        an HTML 404 page, whose headers are then the JSON one's and whose body ``NOT_FOUND`` replaces.
        ``is_media``, ``is_options``: of the request as received, before routing rewrote its scope."""
        headers: list[tuple[bytes, bytes]] = []
        names: set[bytes] = set()
        for name, value in sent:
            lowered = name.lower()
            if lowered == dropped:
                continue
            names.add(lowered)
            headers.append((name, value))
        html_error = status == 404 and any(name.lower() == b"content-type" and value.startswith(b"text/html")
                                           for name, value in headers)
        if html_error:
            headers = [(b"content-type", b"application/json"), (b"content-length", _NOT_FOUND_LENGTH)]
            names = {b"content-type", b"content-length"}
        if b"x-content-type-options" not in names:
            headers.append((b"x-content-type-options", b"nosniff"))
        if b"x-frame-options" not in names:
            headers.append((b"x-frame-options", b"DENY"))
        if b"referrer-policy" not in names:
            headers.append((b"referrer-policy", b"same-origin"))
        if not is_media and b"cache-control" not in names:
            headers.append((b"cache-control", b"no-store"))
        if is_options and b"allow" in names and (allowed := self._allowed.get(scope.get("path_template", ""))):
            headers = [(n, v) for n, v in headers if n.lower() != b"allow"]
            headers.append((b"allow", allowed.encode("latin-1")))
        return headers, html_error
