"""The rate limiter's contract, on both adapters (in memory, and Redis as production builds it):
a sliding window. No span of ``period`` seconds ever holds more than ``limit`` admitted requests, a
request is refused only when admitting it would break that, and ``retry_after`` is the whole number
of seconds until one more request would be admitted.

The clock is the test's: each limiter takes ``now``. The Redis cases need a reachable Redis
(HOSPITAL_TEST_REDIS_URL; skipped without one, except on CI). Independent of the database, so they
run in the SQLite pass only.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from dependency_injector import providers
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from hospital.adapters.memory.rate_limit import InMemoryRateLimiter
from hospital.adapters.redis.rate_limit import RedisRateLimiter
from hospital.application.ports.rate_limit import RateLimiter
from hospital.bootstrap import Container, in_memory_container
from hospital.entrypoints.http.app import create_app
from hospital.settings import RateLimit
from tests.conftest import make_settings, properties
from tests.integration.deployment.conftest import sqlite_pass_only

pytestmark = sqlite_pass_only

ADAPTERS = ["memory", "redis"]
MINUTE = 60


class Clock:
    """Seconds on the test's own clock; starts at a minute boundary's last second, as in the report."""

    def __init__(self, start: float = 1_700_000_039.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Store:
    """One adapter's store on one clock; ``limiter()`` is a limiter on it (on Redis, each with a
    client of its own, as each worker has)."""

    def __init__(self, make: Callable[[], RateLimiter]) -> None:
        self.limiter = make


# (now) -> a context manager yielding a Store of this test's own on that clock.
StoreMaker = Callable[[Callable[[], float]], AbstractAsyncContextManager[Store]]


@asynccontextmanager
async def _memory_store(now: Callable[[], float]) -> AsyncIterator[Store]:
    limiter = InMemoryRateLimiter(now=now)  # one process, one store
    yield Store(lambda: limiter)


def _redis_store_maker(url: str) -> StoreMaker:
    @asynccontextmanager
    async def make(now: Callable[[], float]) -> AsyncIterator[Store]:
        prefix = f"hospital:rl:test:{uuid.uuid4().hex}:"
        clients: list[Redis] = []

        def limiter() -> RateLimiter:
            clients.append(Redis.from_url(url))
            return RedisRateLimiter(clients[-1], prefix=prefix, now=now)

        try:
            yield Store(limiter)
        finally:
            cleaner = Redis.from_url(url)
            async for key in cleaner.scan_iter(f"{prefix}*"):
                await cleaner.delete(key)
            for client in [*clients, cleaner]:
                await client.aclose()

    return make


@pytest.fixture(params=ADAPTERS)
def store_maker(request: pytest.FixtureRequest) -> StoreMaker:
    if request.param == "memory":
        return _memory_store
    return _redis_store_maker(request.getfixturevalue("redis_url"))


@asynccontextmanager
async def _limiter(make: StoreMaker, clock: Callable[[], float]) -> AsyncIterator[RateLimiter]:
    async with make(clock) as store:
        yield store.limiter()


async def _hits(limiter: RateLimiter, count: int, *, limit: int, key: str = "auth:198.51.100.1") -> list[bool]:
    return [(await limiter.hit(key, limit=limit, period_seconds=MINUTE)).allowed for _ in range(count)]


async def test_the_limit_is_admitted_then_refused_with_the_seconds_until_the_oldest_leaves(
        store_maker: StoreMaker) -> None:
    clock = Clock()
    async with _limiter(store_maker, clock) as limiter:
        admitted = []
        for _ in range(3):
            admitted.append((await limiter.hit("k", limit=3, period_seconds=MINUTE)).allowed)
            clock.advance(10)
        refused = await limiter.hit("k", limit=3, period_seconds=MINUTE)  # 30 s after the first
        clock.advance(0.5)
        still_refused = await limiter.hit("k", limit=3, period_seconds=MINUTE)
    assert admitted == [True, True, True]
    assert (refused.allowed, refused.retry_after) == (False, 30)
    assert (still_refused.allowed, still_refused.retry_after) == (False, 30)  # 29.5 s, rounded up


async def test_a_minute_boundary_does_not_reset_the_count(store_maker: StoreMaker) -> None:
    """The report: 20/minute let 40 through in 2.3 s around a minute boundary."""
    clock = Clock(start=1_700_000_039.0)  # 1_700_000_040 is a multiple of 60
    async with _limiter(store_maker, clock) as limiter:
        before = await _hits(limiter, 20, limit=20)
        clock.advance(2.3)
        after = await _hits(limiter, 20, limit=20)
    assert before == [True] * 20
    assert after == [False] * 20


async def test_one_more_is_admitted_exactly_when_the_oldest_leaves_the_window(store_maker: StoreMaker) -> None:
    clock = Clock()
    async with _limiter(store_maker, clock) as limiter:
        first = await limiter.hit("k", limit=2, period_seconds=MINUTE)
        clock.advance(1)
        second = await limiter.hit("k", limit=2, period_seconds=MINUTE)
        clock.advance(MINUTE - 1 - 0.25)
        early = await limiter.hit("k", limit=2, period_seconds=MINUTE)
        clock.advance(0.25)  # exactly 60 s after the first: it no longer shares a window with now
        on_time = await limiter.hit("k", limit=2, period_seconds=MINUTE)
        again = await limiter.hit("k", limit=2, period_seconds=MINUTE)
    assert (first.allowed, second.allowed) == (True, True)
    assert (early.allowed, early.retry_after) == (False, 1)
    assert on_time.allowed
    assert (again.allowed, again.retry_after) == (False, 1)  # the second one leaves at 61 s


async def test_refused_requests_are_not_counted(store_maker: StoreMaker) -> None:
    clock = Clock()
    async with _limiter(store_maker, clock) as limiter:
        assert await _hits(limiter, 3, limit=1) == [True, False, False]
        clock.advance(MINUTE)
        assert await _hits(limiter, 2, limit=1) == [True, False]


async def test_keys_and_periods_are_counted_apart(store_maker: StoreMaker) -> None:
    clock = Clock()
    async with _limiter(store_maker, clock) as limiter:
        assert await _hits(limiter, 2, limit=1, key="a") == [True, False]
        assert await _hits(limiter, 2, limit=1, key="b") == [True, False]
        hourly = await limiter.hit("a", limit=1, period_seconds=3600)
    assert hourly.allowed


async def test_concurrent_hits_admit_exactly_the_limit(store_maker: StoreMaker) -> None:
    """50 requests at once (on Redis, from 5 clients, as from 5 workers) admit 20, never more."""
    clock = Clock()
    async with store_maker(clock) as store:
        limiters = [store.limiter() for _ in range(5)]
        decisions = await asyncio.gather(*(limiters[n % len(limiters)].hit("k", limit=20, period_seconds=MINUTE)
                                           for n in range(50)))
    assert sum(decision.allowed for decision in decisions) == 20


async def test_a_time_earlier_than_the_last_admission_is_taken_as_that_time(store_maker: StoreMaker) -> None:
    """Workers on several hosts read clocks a little apart; a late clock must not reopen the window."""
    clock = Clock()
    async with _limiter(store_maker, clock) as limiter:
        assert await _hits(limiter, 1, limit=1) == [True]
        clock.advance(-5)
        refused = await limiter.hit("auth:198.51.100.1", limit=1, period_seconds=MINUTE)
    assert not refused.allowed
    assert refused.retry_after >= MINUTE - 5


# --- the property ---------------------------------------------------------------------------------

# Gaps in 1/64 s steps: exact in binary floating point, so the model and the adapters agree on
# which side of a window's edge a request falls; long gaps and exact window lengths are included.
gaps = st.lists(st.one_of(st.integers(0, 64 * 3), st.sampled_from([64 * MINUTE, 64 * 59, 64 * 61]),
                          st.integers(0, 64 * 2 * MINUTE)).map(lambda steps: steps / 64),
                min_size=1, max_size=60)


def _admitted_within(admitted: list[float], end: float) -> int:
    """How many admissions fall in the window (end - 60 s, end]."""
    return sum(1 for moment in admitted if end - MINUTE < moment <= end)


async def _check_arrivals(make: StoreMaker, limit: int, arrivals: list[float]) -> None:
    clock = Clock(start=0.0)
    admitted: list[float] = []
    async with _limiter(make, clock) as limiter:
        for gap in arrivals:
            clock.advance(gap)
            now = clock.now
            decision = await limiter.hit("k", limit=limit, period_seconds=MINUTE)
            would_break = _admitted_within(admitted, now) + 1 > limit
            assert decision.allowed is not would_break, (now, admitted)
            if decision.allowed:
                admitted.append(now)
                continue
            # Retry-After: at now + retry_after one more would be admitted, a second earlier not yet.
            assert decision.retry_after >= 1
            assert _admitted_within(admitted, now + decision.retry_after) < limit
            if decision.retry_after > 1:
                assert _admitted_within(admitted, now + decision.retry_after - 1) >= limit
    # no window of 60 s (the worst ones end at an admission) holds more than the limit
    assert all(_admitted_within(admitted, end) <= limit for end in admitted)


@properties(max_examples=150)
@given(limit=st.integers(1, 6), arrivals=gaps)
def test_property_no_window_admits_more_than_the_limit_in_memory(limit: int, arrivals: list[float]) -> None:
    asyncio.run(_check_arrivals(_memory_store, limit, arrivals))


@properties(max_examples=40)
@given(limit=st.integers(1, 6), arrivals=gaps)
def test_property_no_window_admits_more_than_the_limit_on_redis(redis_url: str, limit: int,
                                                                arrivals: list[float]) -> None:
    asyncio.run(_check_arrivals(_redis_store_maker(redis_url), limit, arrivals))


# --- over HTTP ------------------------------------------------------------------------------------

def _use_limiter(container: Container, adapter: str, request: pytest.FixtureRequest, clock: Clock) -> None:
    if adapter == "memory":
        container.rate_limiter.override(providers.Singleton(InMemoryRateLimiter, now=clock))
        return
    # The container's own Redis client, which the app closes when it stops.
    container.redis.override(providers.Singleton(Redis.from_url, request.getfixturevalue("redis_url")))
    container.rate_limiter.override(providers.Singleton(
        RedisRateLimiter, container.redis, prefix=f"hospital:rl:test:{uuid.uuid4().hex}:", now=clock,
    ))


async def _wrong_logins(client: AsyncTestClient, count: int) -> list[int]:
    credentials = {"username": "nobody", "password": "wrong-password"}
    return [(await client.post("/api/user/login/", json=credentials)).status_code for _ in range(count)]


@pytest.mark.parametrize("adapter", ADAPTERS)
async def test_over_http_twenty_a_minute_never_lets_forty_through_around_a_minute_boundary(
        adapter: str, request: pytest.FixtureRequest, tmp_path) -> None:
    clock = Clock(start=1_700_000_039.0)
    container = in_memory_container(make_settings(tmp_path, rate_limit_auth=RateLimit(20, MINUTE)))
    _use_limiter(container, adapter, request, clock)
    async with AsyncTestClient(create_app(container)) as client:
        before = await _wrong_logins(client, 20)
        clock.advance(2.3)
        after = await client.post("/api/user/login/", json={"username": "nobody", "password": "wrong-password"})
        clock.advance(MINUTE - 2.3 - 0.5)
        still = await _wrong_logins(client, 1)
        clock.advance(0.5)
        next_minute = await _wrong_logins(client, 21)
    assert before == [401] * 20
    assert after.status_code == 429
    assert after.headers["retry-after"] == str(math.ceil(MINUTE - 2.3))
    assert after.json() == {"detail": "Request was throttled. Expected available in 58 seconds."}
    assert still == [429]
    assert next_minute == [401] * 20 + [429]

