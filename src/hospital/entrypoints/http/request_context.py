"""Every request gets an id (the caller's X-Request-ID when it is sane, else a new one), which
every response carries back and every log line written while serving it names; one access log
line per request; the security headers (middleware.py's ``SecurityHeaders``), in the same
wrapper of ``send``. Wraps the whole application, so 404s, 429s and errors are covered too.

The use cases called while serving it are audited as coming from its client address, with its id
and user agent (application/request_context.py).
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from litestar.exceptions import LitestarException
from litestar.middleware._internal.exceptions import ExceptionHandlerMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from hospital.application.request_context import calling_from
from hospital.domain.audit import RequestContext
from hospital.entrypoints.http.auth import presented_authorization
from hospital.entrypoints.http.client_address import ClientAddressResolver
from hospital.entrypoints.http.middleware import NOT_FOUND, SecurityHeaders
from hospital.entrypoints.logging_config import InfoLine, request_id

HEADER = b"x-request-id"
USER_AGENT = b"user-agent"
AUTHORIZATION = b"authorization"
# An audit event keeps the user agent; a client could otherwise store kilobytes per request in it.
USER_AGENT_MAX = 512
# Ids from outside are echoed into logs and headers: printable, short, no separators or quotes.
_SANE_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")

access_log = logging.getLogger("hospital.access")
_access_line = InfoLine(access_log, "request")


def new_request_id() -> str:
    """16 random bytes, url-safe base64 (22 characters): unique like a uuid4, and opaque. A
    per-process prefix and a counter would tell anyone reading the header how many requests a
    worker served and how many workers there are; an id names a request, it tells nothing else."""
    return secrets.token_urlsafe(16)


def _read_headers(scope: Scope) -> tuple[str | None, str | None, bytes | None]:
    """The request id the caller sent if it is sane, its user agent and its Authorization header, in
    one pass over the headers; of a header sent twice, the first."""
    incoming = agent = authorization = None
    seen_id = False
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            if not seen_id:
                seen_id = True
                incoming = value.decode("ascii") if _SANE_ID.match(value) else None
        elif name == USER_AGENT:
            if agent is None:
                agent = value[:USER_AGENT_MAX].decode("latin-1")
        elif name == AUTHORIZATION and authorization is None:
            authorization = value
    return incoming, agent, authorization


class RequestContextMiddleware:
    """``app``: the Litestar app's ``asgi_handler``. When that is Litestar's exception middleware
    around the router (no CORS configured), this middleware takes its place for HTTP requests: it
    calls the router itself and, on an exception, has that middleware answer it as it would have
    (``_answer_error``), through the same ``send``. One layer less, and one wrapper of ``send``."""

    def __init__(self, app: ASGIApp, client_address: ClientAddressResolver,
                 security_headers: SecurityHeaders) -> None:
        self.app, self._client_address = app, client_address
        self._security = security_headers
        self._errors: ExceptionHandlerMiddleware | None = None
        self._inner = app
        if type(app) is ExceptionHandlerMiddleware and app.exception_handlers is None:
            self._errors, self._inner = app, app.app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming, agent, authorization = _read_headers(scope)
        current = incoming or new_request_id()
        method, path = scope["method"], scope["path"]  # as received: routing may rewrite the scope
        token = request_id.set(current)
        presented = presented_authorization.set(authorization)
        client = self._client_address(scope)
        started = time.perf_counter()
        status = 500  # what the server answers if the app dies before starting a response
        is_media = path.startswith("/media/")
        is_options = method == "OPTIONS"
        html_error = responded = False
        security = self._security

        async def send_with_id(message: Message) -> None:
            nonlocal status, html_error, responded
            if html_error:  # an HTML 404 page's body: replaced by the JSON one, sent with the start
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": NOT_FOUND})
                return
            if message["type"] == "http.response.start":
                responded = True
                status = message["status"]
                headers, html_error = security.headers(scope, status, message.get("headers", ()), is_media=is_media,
                                                       is_options=is_options, dropped=HEADER)
                headers.append((HEADER, current.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            with calling_from(RequestContext(client_address=client, request_id=current, user_agent=agent)):
                if self._errors is None:
                    await self.app(scope, receive, send_with_id)
                else:
                    try:
                        await self._inner(scope, receive, send_with_id)
                    except Exception as error:
                        await self._answer_error(self._errors, error, responded, scope, receive, send_with_id)
        finally:
            # The path only: query strings may carry search terms a patient typed.
            _access_line({
                "method": method, "path": path, "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "client": client,
            })
            presented_authorization.reset(presented)
            request_id.reset(token)

    @staticmethod
    async def _answer_error(errors: ExceptionHandlerMiddleware, error: Exception, responded: bool, scope: Scope,
                            receive: Receive, send: Send) -> None:
        """What Litestar's ``ExceptionHandlerMiddleware.__call__`` does with an exception of an HTTP
        request (litestar/middleware/_internal/exceptions/middleware.py, Litestar 2)."""
        if responded:
            raise LitestarException("Exception caught after response started") from error
        litestar_app = scope["litestar_app"]
        if litestar_app.logging_config and (logger := litestar_app.logger):
            errors.handle_exception_logging(logger=logger, logging_config=litestar_app.logging_config, scope=scope)
        for hook in litestar_app.after_exception:
            await hook(error, scope)
        if litestar_app.pdb_on_exception:
            litestar_app.debugger_module.post_mortem()
        await errors.handle_request_exception(litestar_app=litestar_app, scope=scope, receive=receive, send=send,
                                              exc=error)
