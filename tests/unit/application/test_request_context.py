"""The request context the audit log records: set by the entry point for the calls it makes, per task."""

from __future__ import annotations

import asyncio

from hospital.application.request_context import calling_from, current_request_context
from hospital.domain.audit import RequestContext


async def test_each_task_sees_the_context_it_was_called_from() -> None:
    assert current_request_context() == RequestContext()

    async def call(address: str) -> RequestContext:
        with calling_from(RequestContext(client_address=address, request_id=address)):
            await asyncio.sleep(0)
            return current_request_context()

    seen = await asyncio.gather(call("10.0.0.1"), call("10.0.0.2"))
    assert [context.client_address for context in seen] == ["10.0.0.1", "10.0.0.2"]
    assert current_request_context() == RequestContext()
