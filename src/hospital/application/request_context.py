"""Where the current call came from (client address, request id, user agent), for the audit log.

The entry point that knows sets it (the HTTP layer, per request); a Python caller may set it around
its own calls with ``calling_from``, or leave it empty. A context variable, so each request's task
sees its own, and the use cases' signatures stay as they are.
"""

from __future__ import annotations

from contextvars import ContextVar

from hospital.domain.audit import RequestContext

_NOWHERE = RequestContext()  # frozen: safe to share
_current: ContextVar[RequestContext | None] = ContextVar("hospital_request_context", default=None)


def current_request_context() -> RequestContext:
    return _current.get() or _NOWHERE


class calling_from:
    """Calls made inside the block are audited as coming from ``context``. A class, not a generator
    (contextlib.contextmanager): it wraps every request, and a generator's context manager costs
    several calls more on each."""

    __slots__ = ("_context", "_token")

    def __init__(self, context: RequestContext) -> None:
        self._context = context

    def __enter__(self) -> RequestContext:
        self._token = _current.set(self._context)
        return self._context

    def __exit__(self, *_exc: object) -> None:
        _current.reset(self._token)
