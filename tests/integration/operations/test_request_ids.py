"""Every response carries X-Request-ID: the caller's when it is sane, a new one otherwise."""

from __future__ import annotations

import re
from dataclasses import replace

from litestar.testing import AsyncTestClient

from hospital.entrypoints.http.app import create_app
from hospital.settings import RateLimit

GENERATED = re.compile(r"^[0-9a-f]{32}$")


async def test_the_callers_request_id_is_returned(client) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "edge-7f3a:1"})
    assert response.headers["x-request-id"] == "edge-7f3a:1"


async def test_a_request_id_is_made_when_none_is_sent_and_each_request_gets_its_own(client) -> None:
    first = (await client.get("/health/live")).headers["x-request-id"]
    second = (await client.get("/health/live")).headers["x-request-id"]
    assert GENERATED.match(first) and GENERATED.match(second)
    assert first != second


async def test_an_unsafe_or_oversized_request_id_is_replaced(client) -> None:
    for unsafe in ("has spaces", "quote\"d", "x" * 129, "<script>"):
        returned = (await client.get("/health/live", headers={"X-Request-ID": unsafe})).headers["x-request-id"]
        assert GENERATED.match(returned), unsafe


async def test_errors_and_unknown_paths_carry_the_id_too(client) -> None:
    for path in ("/no/such/path", "/api/user/profiles/me/"):
        response = await client.get(path, headers={"X-Request-ID": "err-1"})
        assert response.status_code in {401, 404}
        assert response.headers["x-request-id"] == "err-1"


async def test_a_throttled_request_carries_the_id(sql_container) -> None:
    settings = replace(sql_container.settings(), rate_limit_anon=RateLimit(1, 3600))
    sql_container.settings.override(settings)
    async with AsyncTestClient(create_app(sql_container)) as client:
        await client.get("/api/user/profiles/")
        throttled = await client.get("/api/user/profiles/", headers={"X-Request-ID": "slow-down"})
    assert throttled.status_code == 429
    assert throttled.headers["x-request-id"] == "slow-down"
