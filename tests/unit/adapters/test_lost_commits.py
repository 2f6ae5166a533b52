"""lost_commits.py: the verdict on a unit whose PostgreSQL connection was lost, every case of its table,
and the bounded asking that settles a COMMIT lost on its way."""

from __future__ import annotations

import asyncio

import pytest

from hospital.adapters.sqlalchemy import lost_commits
from hospital.adapters.sqlalchemy.lost_commits import Phase, Verdict, XactStatus, conclude, decide, settle, status_of
from hospital.application.errors import CommitOutcomeUnknownError, ConnectionLostError


@pytest.mark.parametrize("status", [None, *XactStatus])
def test_a_loss_before_the_commit_was_sent_runs_the_unit_again_whatever_the_status(status) -> None:
    assert decide(Phase.BEFORE_COMMIT, status) is Verdict.RUN_AGAIN


@pytest.mark.parametrize(("status", "verdict"), [
    (XactStatus.COMMITTED, Verdict.COMMITTED),
    (XactStatus.NOTHING_WRITTEN, Verdict.COMMITTED),
    (XactStatus.ABORTED, Verdict.RUN_AGAIN),
    (XactStatus.IN_PROGRESS, Verdict.ASK_AGAIN),
    (XactStatus.UNAVAILABLE, Verdict.UNKNOWN),
    (None, Verdict.UNKNOWN),
])
def test_a_loss_during_the_commit_is_decided_by_what_postgresql_says(status, verdict) -> None:
    assert decide(Phase.DURING_COMMIT, status) is verdict


@pytest.mark.parametrize(("answer", "status"), [
    ("committed", XactStatus.COMMITTED), ("aborted", XactStatus.ABORTED), ("in progress", XactStatus.IN_PROGRESS),
    (None, XactStatus.UNAVAILABLE), ("something else", XactStatus.UNAVAILABLE),
])
def test_pg_xact_status_answers(answer, status) -> None:
    assert status_of(answer) is status


def test_what_the_caller_is_told() -> None:
    lost = ConnectionResetError("gone")
    assert conclude(Verdict.COMMITTED, lost) is None
    with pytest.raises(ConnectionLostError) as run_again:
        conclude(Verdict.RUN_AGAIN, lost)
    assert run_again.value.__cause__ is lost
    for verdict in (Verdict.UNKNOWN, Verdict.ASK_AGAIN):
        with pytest.raises(CommitOutcomeUnknownError):
            conclude(verdict, lost)


class FakeConnection:
    """Answers ``pg_xact_status`` from a list (an exception is raised); remembers it was closed."""

    def __init__(self, *answers: object) -> None:
        self.answers, self.asked, self.closed = list(answers), 0, False

    async def fetchval(self, sql: str, transaction_id: int, **options: float) -> object:
        assert "pg_xact_status" in sql and transaction_id == 42
        self.asked += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def terminate(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lost_commits, "WAITS_BETWEEN_ASKS", (0.0, 0.0, 0.0))


def connecting(connection: FakeConnection):
    async def connect() -> FakeConnection:
        return connection
    return connect


@pytest.mark.parametrize(("answers", "verdict", "asked"), [
    (["committed"], Verdict.COMMITTED, 1),
    (["aborted"], Verdict.RUN_AGAIN, 1),
    (["in progress", "in progress", "committed"], Verdict.COMMITTED, 3),
    (["in progress", "aborted"], Verdict.RUN_AGAIN, 2),
    (["in progress"] * 4, Verdict.UNKNOWN, 4),  # bounded: then the honest 503
    ([None], Verdict.UNKNOWN, 1),  # too old, wrapped around
    ([OSError("the fresh connection failed too")], Verdict.UNKNOWN, 1),
    (["in progress", ValueError("transaction ID is in the future")], Verdict.UNKNOWN, 2),
])
async def test_settling_asks_on_a_fresh_connection_while_the_transaction_is_in_progress(answers, verdict,
                                                                                       asked) -> None:
    connection = FakeConnection(*answers)
    assert await settle(42, connecting(connection)) is verdict
    assert connection.asked == asked and connection.closed


async def test_settling_without_a_connection_is_unknown() -> None:
    async def refused() -> None:
        raise ConnectionRefusedError("no server")

    assert await settle(42, refused) is Verdict.UNKNOWN
    assert await settle(42, None) is Verdict.UNKNOWN


async def test_a_status_known_without_asking_needs_no_connection() -> None:
    assert await settle(XactStatus.NOTHING_WRITTEN, None) is Verdict.COMMITTED
    assert await settle(XactStatus.UNAVAILABLE, None) is Verdict.UNKNOWN


async def test_settling_is_bounded_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lost_commits, "SETTLE_SECONDS", 0.05)

    async def unresponsive() -> None:
        await asyncio.sleep(10)  # a server that accepts and never answers

    assert await settle(42, unresponsive) is Verdict.UNKNOWN
