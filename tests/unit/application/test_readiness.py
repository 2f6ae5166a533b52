"""Readiness: every check asked at once, a hanging one counted as failed."""

from __future__ import annotations

import asyncio
import time

from hospital.application.readiness import CheckReadiness


class Check:
    def __init__(self, name: str, problem: str | None = None, delay: float = 0) -> None:
        self.name, self._problem, self._delay = name, problem, delay

    async def problem(self) -> str | None:
        await asyncio.sleep(self._delay)
        return self._problem


async def test_ready_when_every_check_passes() -> None:
    readiness = await CheckReadiness([Check("database"), Check("redis")])()
    assert readiness.ready
    assert readiness.problems == {}


async def test_each_failing_check_is_named_with_its_problem() -> None:
    readiness = await CheckReadiness([Check("database", "unreachable"), Check("redis")])()
    assert not readiness.ready
    assert readiness.problems == {"database": "unreachable"}


async def test_a_check_that_hangs_fails_after_the_timeout_without_holding_up_the_others() -> None:
    started = time.monotonic()
    readiness = await CheckReadiness([Check("database", delay=10), Check("redis", "unreachable", delay=0.1)],
                                     timeout=0.3)()
    assert time.monotonic() - started < 1
    assert readiness.problems == {"database": "no answer within 0.3 seconds", "redis": "unreachable"}


async def test_no_checks_means_ready() -> None:
    assert (await CheckReadiness([])()).ready
