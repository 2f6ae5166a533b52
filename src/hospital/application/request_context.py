"""Where the current call came from (client address, request id, user agent), for the audit log.

The entry point that knows sets it (the HTTP layer, per request); a Python caller may set it around
its own calls with ``calling_from``, or leave it empty. A context variable, so each request's task
sees its own, and the use cases' signatures stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from hospital.domain.audit import RequestContext

_NOWHERE = RequestContext()  # frozen: safe to share
_current: ContextVar[RequestContext | None] = ContextVar("hospital_request_context", default=None)


def current_request_context() -> RequestContext:
    return _current.get() or _NOWHERE


@contextmanager
def calling_from(context: RequestContext) -> Iterator[RequestContext]:
    """Calls made inside the block are audited as coming from ``context``."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
