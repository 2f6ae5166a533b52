"""One translator from errors to responses in the original's shapes (DESIGN.md §2)."""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from hospital.application.errors import (
    AuthenticationError,
    ConcurrentChangeError,
    InvalidTokenError,
    ServiceUnavailableError,
)
from hospital.domain.errors import (
    NON_FIELD_ERRORS,
    ClashError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from hospital.entrypoints.http.body import drf_message

log = logging.getLogger("hospital.http")

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="api"'}


def _challenge(error: AuthenticationError) -> dict[str, str]:
    """RFC 6750 §3: a token that was sent and refused is ``invalid_token``, with why (expired, revoked, ...),
    so that a client can tell "refresh it" from "log in again"; no token at all gets the bare challenge."""
    if not isinstance(error, InvalidTokenError):
        return WWW_AUTHENTICATE
    description = error.message.replace("\\", "\\\\").replace('"', '\\"')
    return {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'}


def _json(body: object, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def domain_error(request: Request, error: DomainError) -> Response:
    if isinstance(error, ValidationError):
        return _json(error.errors, 400)
    if isinstance(error, ClashError):
        return _json(error.errors, 409)
    if isinstance(error, AuthenticationError):
        return _json({"detail": error.message}, 401, _challenge(error))
    if isinstance(error, PermissionDeniedError):
        return _json({"detail": error.message}, 403)
    if isinstance(error, NotFoundError):
        return _json({"detail": error.message}, 404)
    if isinstance(error, ConcurrentChangeError):
        return _json({"detail": error.message}, 409)
    if isinstance(error, ServiceUnavailableError):
        outage_log = getattr(request.app.state, "outage_log", None)
        if outage_log is not None:
            outage_log.failed(error)
        return _json({"detail": error.message}, 503, {"Retry-After": "5"})
    return _json({"detail": error.message}, 400)


def http_error(request: Request, error: HTTPException) -> Response:
    if isinstance(error, NotFoundException):
        return _json({"detail": "Not found."}, 404)
    if isinstance(error, MethodNotAllowedException):
        return _json({"detail": f'Method "{request.method}" not allowed.'}, 405, error.headers)
    if isinstance(error, ValidationException):
        # Litestar refuses path and query parameters it cannot parse (e.g. a non-integer id).
        fields: dict[str, list[str]] = {}
        for item in error.extra if isinstance(error.extra, list) else []:
            key = item.get("key") if isinstance(item, dict) else None
            fields.setdefault(key or NON_FIELD_ERRORS, []).append(
                drf_message(item.get("message", "Invalid value.")) if isinstance(item, dict) else str(item)
            )
        return _json(fields or {NON_FIELD_ERRORS: ["Invalid input."]}, 400)
    detail = error.detail
    if error.status_code == 413:
        detail = "Request body is too large."
    headers = dict(error.headers or {})
    if error.status_code == 401:
        headers.update(WWW_AUTHENTICATE)
    return _json({"detail": detail}, error.status_code, headers or None)


def unexpected_error(request: Request, error: Exception) -> Response:
    # A 500 is a bug: log it with the stack, answer without one.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _json({"detail": "A server error occurred."}, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS = {
    DomainError: domain_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
