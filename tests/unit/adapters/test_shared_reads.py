"""Concurrent callers share statements, but each gets an answer from one that began after it asked."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.adapters.sqlalchemy.shared_reads import SharedRead
from tests.conftest import properties


class Database:
    """A counter that writes move; a read answers the value it sees when it starts, after a delay."""

    def __init__(self) -> None:
        self.version = 0
        self.statements = 0
        self.started = asyncio.Event()

    async def read(self) -> int:
        self.statements += 1
        self.started.set()
        seen = self.version
        await asyncio.sleep(0.001)
        return seen


async def test_a_burst_of_callers_costs_two_statements():
    database = Database()
    shared = SharedRead(database.read)
    answers = await asyncio.gather(*(shared() for _ in range(50)))
    assert answers == [0] * 50
    assert database.statements == 2  # the first caller's, and one for all who came while it ran


async def test_a_caller_arriving_after_a_write_never_gets_the_older_answer():
    database = Database()
    shared = SharedRead(database.read)
    first = asyncio.ensure_future(shared())
    await database.started.wait()  # the first statement has started, and seen version 0
    database.version = 1  # a write commits while it runs
    late = await shared()
    assert await first == 0
    assert late == 1


@properties(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 3)), min_size=1, max_size=40))
def test_every_answer_is_at_least_as_new_as_the_callers_arrival(steps):
    async def scenario() -> None:
        database = Database()
        shared = SharedRead(database.read)
        calls = []

        async def caller() -> None:
            arrived = database.version
            calls.append((arrived, await shared()))

        tasks = []
        for writes, pause in steps:
            if writes:
                database.version += 1
            tasks.append(asyncio.ensure_future(caller()))
            for _ in range(pause):
                await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        assert all(answer >= arrived for arrived, answer in calls)
        assert database.statements <= len(steps)

    asyncio.run(scenario())


async def test_a_failure_reaches_every_waiting_caller_and_the_next_call_tries_again():
    attempts = 0

    async def flaky() -> int:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.001)
        if attempts == 1:
            raise ConnectionError("database gone")
        return 7

    shared = SharedRead(flaky)
    outcomes = await asyncio.gather(shared(), return_exceptions=True)
    assert isinstance(outcomes[0], ConnectionError)
    assert await shared() == 7


async def test_a_caller_that_leaves_does_not_cancel_the_others_answer():
    database = Database()
    shared = SharedRead(database.read)
    leaving = asyncio.ensure_future(shared())
    staying = asyncio.ensure_future(shared())
    await asyncio.sleep(0)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert await staying == 0
