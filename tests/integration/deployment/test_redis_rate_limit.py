"""The Redis rate limiter: one count for every process, and a 503 (not a 500, not a free pass)
when Redis is gone."""

from __future__ import annotations

import uuid

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from hospital.adapters.redis.health import RedisHealthCheck
from hospital.adapters.redis.rate_limit import RedisRateLimiter
from hospital.application.errors import ServiceUnavailableError
from hospital.entrypoints.http.app import create_app
from tests.integration.deployment.conftest import REDIS_URL
from tests.support.server_process import free_port


@pytest.fixture
async def prefix(redis_url: str):
    """A key prefix of this test's own, deleted afterwards."""
    prefix = f"hospital:rl:test:{uuid.uuid4().hex}:"
    yield prefix
    client = Redis.from_url(redis_url)
    async for key in client.scan_iter(f"{prefix}*"):
        await client.delete(key)
    await client.aclose()


def _closed_redis() -> Redis:
    return Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1, socket_timeout=1)


async def test_two_limiters_on_one_redis_share_the_count(prefix: str) -> None:
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        limiters = [RedisRateLimiter(first, prefix=prefix), RedisRateLimiter(second, prefix=prefix)]
        decisions = [await limiters[n % 2].hit("auth:198.51.100.1", limit=3, period_seconds=3600) for n in range(5)]
        other_client = await limiters[0].hit("auth:198.51.100.2", limit=3, period_seconds=3600)
    finally:
        await first.aclose()
        await second.aclose()
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert 0 < decisions[-1].retry_after <= 3600
    assert other_client.allowed


async def test_an_unreachable_redis_is_service_unavailable() -> None:
    redis = _closed_redis()
    try:
        with pytest.raises(ServiceUnavailableError):
            await RedisRateLimiter(redis).hit("auth:x", limit=3, period_seconds=60)
        assert await RedisHealthCheck(redis).problem() == "unreachable"
    finally:
        await redis.aclose()


async def test_over_http_an_unreachable_redis_answers_503_and_readiness_says_why(sql_container) -> None:
    sql_container.redis.override(providers.Singleton(_closed_redis))
    async with AsyncTestClient(create_app(sql_container)) as client:
        login = await client.post("/api/user/login/", json={"username": "a", "password": "b"})
        ready = await client.get("/health/ready")
        live = await client.get("/health/live")
    assert login.status_code == 503
    assert set(login.json()) == {"detail"}
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"redis": "unreachable"}
    assert live.status_code == 200
