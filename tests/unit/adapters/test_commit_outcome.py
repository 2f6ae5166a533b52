"""commit_outcome.py: work that must run to its end once begun, and what its cancelled caller is told."""

from __future__ import annotations

import asyncio

import pytest

from hospital.adapters.sqlalchemy.commit_outcome import outcome_of, rolled_back_for_sure, to_the_end


async def _slow(result: object = "done", *, error: Exception | None = None, ended: list | None = None) -> object:
    await asyncio.sleep(0.05)
    if ended is not None:
        ended.append(True)
    if error is not None:
        raise error
    return result


async def test_a_commit_whose_caller_is_cancelled_meanwhile_runs_to_its_end_and_the_caller_is_told_it_committed():
    ended: list = []
    task = asyncio.create_task(outcome_of(_slow(ended=ended)))
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.sleep(0.01)
    task.cancel()  # twice: both withdrawn
    assert await task == "done"
    assert ended == [True]
    assert not task.cancelled() and task.cancelling() == 0


async def test_a_commit_that_fails_while_its_caller_is_cancelled_raises_its_own_error():
    task = asyncio.create_task(outcome_of(_slow(error=ValueError("refused"))))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(ValueError, match="refused"):
        await task


async def test_a_timeout_around_a_commit_that_finishes_does_not_fire():
    async def caller() -> object:
        async with asyncio.timeout(0.01):
            return await outcome_of(_slow())

    assert await caller() == "done"


async def test_work_before_the_point_of_no_return_ends_then_the_cancellation_is_raised():
    ended: list = []
    task = asyncio.create_task(to_the_end(_slow(ended=ended)))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ended == [True]  # it ended before the caller heard of its cancellation


async def test_without_a_cancellation_both_are_plain_awaits():
    assert await to_the_end(_slow("a")) == "a"
    assert await outcome_of(_slow("b")) == "b"
    with pytest.raises(KeyError):
        await outcome_of(_slow(error=KeyError("k")))


class _Answer(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


class _Wrapped(Exception):
    def __init__(self, orig: BaseException) -> None:
        super().__init__(str(orig))
        self.orig = orig


@pytest.mark.parametrize(("error", "rolled_back"), [
    (_Answer("40001"), True),  # serialization failure
    (_Answer("40P01"), True),  # deadlock
    (_Wrapped(_Answer("23505")), True),  # a deferred unique constraint, as SQLAlchemy wraps it
    (_Answer("08003"), False),  # connection does not exist
    (_Answer("57P01"), False),  # shut down, perhaps after recording the commit
    (_Answer(None), False),
    (ConnectionResetError(), False),
    (TimeoutError(), False),
])
def test_only_a_rollback_answer_means_not_committed(error, rolled_back):
    assert rolled_back_for_sure(error) is rolled_back
