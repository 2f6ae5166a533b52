"""ASGI middleware: rate limits by scope, and the headers every response carries."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from hospital.application.errors import AuthenticationError
from hospital.application.ports.rate_limit import RateLimiter
from hospital.application.ports.security import TokenService, TokenType
from hospital.entrypoints.http.auth import presented_authorization
from hospital.entrypoints.http.client_address import ClientAddressResolver
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
        self.app = app
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


_NOT_FOUND = msgspec.json.encode({"detail": "Not found."})


class SecurityHeadersMiddleware:
    """nosniff everywhere; API data is never cached by browsers or proxies; no error is an HTML page.

    Litestar answers unknown /schema/* paths (/schema/redoc, ...) with an HTML 404 page of its own,
    outside the exception handlers; DESIGN.md §2 says never HTML, so an HTML error is answered as
    the API's JSON ``{"detail": "Not found."}`` instead.

    Wraps the whole application (not a per-route middleware), so 404s for unknown paths, 405s and
    errors raised before routing carry the headers too. It also corrects ``Allow`` on automatic
    OPTIONS answers: Litestar builds that handler from the first handler registered on a path and
    misses methods added by later handlers on the same path; ``allowed_methods`` (path template ->
    methods, from the app's merged routes) is the whole truth.
    """

    def __init__(self, app: ASGIApp, allowed_methods: Mapping[str, str] | None = None) -> None:
        self.app = app
        self._allowed = dict(allowed_methods or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_media = scope["path"].startswith("/media/")
        is_options = scope.get("method") == "OPTIONS"
        html_error = False

        async def send_with_headers(message: Message) -> None:
            nonlocal html_error
            if html_error:  # the page's body: replaced by the JSON one, sent with the start
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": _NOT_FOUND})
                return
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if message["status"] == 404 and any(name.lower() == b"content-type" and value.startswith(b"text/html")
                                                    for name, value in headers):
                    html_error = True
                    headers = [(b"content-type", b"application/json"),
                               (b"content-length", str(len(_NOT_FOUND)).encode())]
                    names = {b"content-type", b"content-length"}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if b"x-frame-options" not in names:
                    headers.append((b"x-frame-options", b"DENY"))
                if b"referrer-policy" not in names:
                    headers.append((b"referrer-policy", b"same-origin"))
                if not is_media and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                allowed = self._allowed.get(scope.get("path_template", ""))
                if is_options and allowed and b"allow" in names:
                    headers = [(n, v) for n, v in headers if n.lower() != b"allow"]
                    headers.append((b"allow", allowed.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
