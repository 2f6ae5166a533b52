"""RequestContextMiddleware in the place of Litestar's app-level exception layer: an exception after
the response has started cannot be answered, and is raised as Litestar's layer raises it."""

from __future__ import annotations

import pytest
from litestar.exceptions import LitestarException
from litestar.middleware._internal.exceptions import ExceptionHandlerMiddleware

from hospital.entrypoints.http.middleware import SecurityHeaders
from hospital.entrypoints.http.request_context import RequestContextMiddleware


async def _starts_then_fails(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise RuntimeError("after the start")


async def test_an_exception_after_the_response_started_is_raised_not_answered() -> None:
    layer = ExceptionHandlerMiddleware(_starts_then_fails, None)
    middleware = RequestContextMiddleware(layer, lambda _scope: "127.0.0.1", SecurityHeaders())
    sent = []

    async def send(message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b""}
    with pytest.raises(LitestarException, match="after response started") as raised:
        await middleware(scope, None, send)
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert [message["status"] for message in sent] == [200]  # nothing sent after the start
