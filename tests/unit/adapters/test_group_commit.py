"""The SQLite writer's group commit as a plain state machine (adapters/sqlalchemy/group_commit.py):
every transition on its own, no event loop, no database. docs/architecture.md has the diagram."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hospital.adapters.sqlalchemy.group_commit import (
    COMMITTER,
    GroupCommit,
    InvalidTransitionError,
    Phase,
    Rollback,
)


def unit_in_turn(machine: GroupCommit, caller: str) -> None:
    """``caller`` holds the turn: BEGIN if nothing is open, then its SAVEPOINT."""
    if machine.must_begin:
        machine.begin_started(caller)
        machine.begin_ended(caller, began=True)
    machine.unit_opened(caller)


def released(machine: GroupCommit, caller: str, waiting: str) -> object:
    """``caller``'s unit releases its savepoint into the group and gives the turn: who holds it now."""
    machine.unit_released(caller, waiting)
    return machine.give_turn(caller)


def test_a_lone_unit_takes_the_turn_begins_releases_and_its_commit_follows_at_once():
    machine = GroupCommit()
    assert machine.phase is Phase.IDLE
    assert machine.ask_turn("a") is True
    assert machine.phase is Phase.HELD and machine.must_begin
    machine.begin_started("a")
    assert machine.phase is Phase.BEGINNING
    machine.begin_ended("a", began=True)
    machine.unit_opened("a")
    assert machine.phase is Phase.UNIT
    assert released(machine, "a", "a-done") is COMMITTER
    machine.commit_started(COMMITTER)
    assert machine.phase is Phase.COMMITTING and machine.batch == ["a-done"]
    assert machine.commit_ended(COMMITTER) == ["a-done"]
    assert machine.give_turn(COMMITTER) is None
    assert machine.phase is Phase.IDLE and not machine.transaction


def test_units_waiting_when_the_first_is_released_join_its_group_and_later_ones_wait_for_its_commit():
    machine = GroupCommit()
    machine.ask_turn("a")
    unit_in_turn(machine, "a")
    assert machine.ask_turn("b") is False and machine.ask_turn("c") is False
    assert released(machine, "a", "a-done") == "b"
    assert not machine.must_begin  # b joins the open transaction: a SAVEPOINT, no BEGIN
    unit_in_turn(machine, "b")
    assert machine.ask_turn("late") is False  # after the COMMITTER took its place in line
    assert released(machine, "b", "b-done") == "c"
    unit_in_turn(machine, "c")
    assert released(machine, "c", "c-done") is COMMITTER
    machine.commit_started(COMMITTER)
    assert machine.commit_ended(COMMITTER) == ["a-done", "b-done", "c-done"]
    assert machine.give_turn(COMMITTER) == "late"
    assert machine.must_begin  # the next group begins afresh


def test_the_turn_stays_with_the_commit_until_it_has_ended():
    machine = GroupCommit()
    machine.ask_turn("a")
    unit_in_turn(machine, "a")
    released(machine, "a", "a-done")
    machine.commit_started(COMMITTER)
    assert machine.ask_turn("b") is False
    with pytest.raises(InvalidTransitionError):
        machine.give_turn(COMMITTER)  # no hand-over while the COMMIT runs on the writer's thread
    assert machine.holder is COMMITTER and machine.phase is Phase.COMMITTING
    machine.commit_ended(COMMITTER)
    assert machine.give_turn(COMMITTER) == "b"


def test_a_failed_commit_settles_the_same_batch_and_leaves_no_transaction():
    """The machine does not tell success from failure: the writer settles the batch it returns with
    the COMMIT's outcome (and rolls back first if SQLite kept the transaction)."""
    machine = GroupCommit()
    for name in ("a", "b"):
        machine.ask_turn(name)
    unit_in_turn(machine, "a")
    released(machine, "a", "a-done")
    unit_in_turn(machine, "b")
    released(machine, "b", "b-done")
    machine.commit_started(COMMITTER)
    assert machine.commit_ended(COMMITTER) == ["a-done", "b-done"]
    assert not machine.transaction and not machine.group


def test_a_unit_rolls_back_its_savepoint_when_others_wait_and_the_transaction_when_none_do():
    machine = GroupCommit()
    machine.ask_turn("a")
    unit_in_turn(machine, "a")
    assert machine.roll_back_unit("a") is Rollback.TRANSACTION
    with pytest.raises(InvalidTransitionError):
        machine.give_turn("a")  # the writer must roll the transaction back first
    machine.rolled_back("a")
    assert machine.give_turn("a") is None and machine.phase is Phase.IDLE

    machine.ask_turn("b")
    machine.ask_turn("c")
    unit_in_turn(machine, "b")
    assert released(machine, "b", "b-done") == "c"
    unit_in_turn(machine, "c")
    assert machine.roll_back_unit("c") is Rollback.SAVEPOINT  # b's work waits in the same transaction
    with pytest.raises(InvalidTransitionError):
        machine.rolled_back("c")
    assert machine.give_turn("c") is COMMITTER


def test_an_error_that_ends_the_transaction_loses_the_group_and_the_running_unit_can_only_roll_back():
    machine = GroupCommit()
    machine.ask_turn("a")
    machine.ask_turn("b")
    unit_in_turn(machine, "a")
    released(machine, "a", "a-done")
    unit_in_turn(machine, "b")
    assert machine.transaction_lost() == ["a-done"]
    assert machine.phase is Phase.LOST and COMMITTER not in machine.line
    with pytest.raises(InvalidTransitionError):
        machine.unit_released("b", "b-done")
    assert machine.roll_back_unit("b") is Rollback.NOTHING
    assert machine.give_turn("b") is None and machine.phase is Phase.IDLE and machine.must_begin


def test_a_begin_that_fails_leaves_the_holder_with_nothing_open():
    machine = GroupCommit()
    machine.ask_turn("a")
    machine.ask_turn("b")
    machine.begin_started("a")
    machine.begin_ended("a", began=False)
    assert machine.phase is Phase.HELD and not machine.transaction
    assert machine.give_turn("a") == "b"
    assert machine.must_begin


def test_a_caller_that_stops_waiting_leaves_the_line_or_passes_on_a_turn_that_reached_it():
    machine = GroupCommit()
    machine.ask_turn("a")
    machine.ask_turn("b")
    machine.ask_turn("c")
    assert machine.leave_line("b") is None
    assert list(machine.line) == ["c"]
    assert machine.give_turn("a") == "c"
    machine.ask_turn("d")
    assert machine.leave_line("c") == "d"  # c was handed the turn and went away: d has it
    assert machine.leave_line("nobody") is None


def test_a_holder_that_commits_at_once_takes_the_released_units_with_it():
    machine = GroupCommit()
    machine.ask_turn("a")
    machine.ask_turn("b")
    unit_in_turn(machine, "a")
    released(machine, "a", "a-done")
    unit_in_turn(machine, "b")
    machine.unit_released("b", None)  # b commits now, outside the group
    machine.commit_started("b")
    assert COMMITTER not in machine.line
    assert machine.commit_ended("b") == ["a-done"]
    assert machine.give_turn("b") is None


def test_closing_waits_for_the_groups_commit_and_a_new_user_calls_it_off():
    machine = GroupCommit()
    assert machine.close() is True and machine.phase is Phase.CLOSED
    with pytest.raises(InvalidTransitionError):
        machine.ask_turn("a")
    machine.opened()
    machine.ask_turn("a")
    unit_in_turn(machine, "a")
    released(machine, "a", "a-done")
    assert machine.close() is False  # the COMMIT is due: the released unit is not cut short
    machine.commit_started(COMMITTER)
    assert machine.may_close() is False
    machine.commit_ended(COMMITTER)
    assert machine.give_turn(COMMITTER) is None
    assert machine.may_close() is True and machine.phase is Phase.CLOSED

    machine.opened()
    machine.ask_turn("b")
    assert machine.close() is False
    machine.opened()  # a new user before the holder is done: the connection stays
    machine.give_turn("b")
    assert machine.may_close() is False and machine.phase is Phase.IDLE


@pytest.mark.parametrize("wrong", [
    lambda m: m.give_turn("stranger"),
    lambda m: m.unit_opened("a"),  # no transaction yet
    lambda m: m.commit_started("a"),  # no transaction yet
    lambda m: m.ask_turn("a"),  # already holds it
    lambda m: m.roll_back_unit("a"),  # no unit runs
    lambda m: m.begin_ended("a", began=True),  # no BEGIN runs
])
def test_an_event_that_cannot_happen_now_is_refused(wrong):
    machine = GroupCommit()
    machine.ask_turn("a")
    with pytest.raises(InvalidTransitionError):
        wrong(machine)


def test_the_invariants_are_checked_after_every_event_in_the_tests():
    machine = GroupCommit()
    machine.group.append("released into no transaction")  # a state no event leads to
    with pytest.raises(InvalidTransitionError, match="invariant"):
        machine.ask_turn("a")


class WritersTakingTurns(RuleBasedStateMachine):
    """Any interleaving of callers asking for the turn, running units that release, roll back or
    commit at once, giving up in line, COMMITs that run, and errors that end the transaction: the
    invariants hold after every step, and every released unit is settled exactly once."""

    def __init__(self) -> None:
        super().__init__()
        self.machine = GroupCommit()
        self.callers = 0
        self.released: list[str] = []
        self.settled: list[str] = []

    def _holder_is_a_caller(self) -> bool:
        return self.machine.holder is not None and self.machine.holder is not COMMITTER

    @rule()
    def a_caller_asks_for_the_turn(self) -> None:
        self.callers += 1
        self.machine.ask_turn(f"caller-{self.callers}")

    @precondition(lambda self: bool([c for c in self.machine.line if c is not COMMITTER]))
    @rule(data=st.data())
    def a_waiting_caller_gives_up(self, data: st.DataObject) -> None:
        waiting = [c for c in self.machine.line if c is not COMMITTER]
        self.machine.leave_line(data.draw(st.sampled_from(waiting)))

    @precondition(lambda self: self._holder_is_a_caller() and self.machine.phase is Phase.HELD)
    @rule()
    def the_holder_is_cancelled_as_the_turn_reaches_it(self) -> None:
        self.machine.leave_line(self.machine.holder)

    @precondition(lambda self: self._holder_is_a_caller() and self.machine.phase is Phase.HELD)
    @rule(began=st.booleans())
    def the_holder_begins_its_unit(self, began: bool) -> None:
        holder = self.machine.holder
        if self.machine.must_begin:
            self.machine.begin_started(holder)
            self.machine.begin_ended(holder, began=began)
            if not began:
                self.machine.give_turn(holder)
                return
        self.machine.unit_opened(holder)

    @precondition(lambda self: self.machine.phase is Phase.UNIT)
    @rule(how=st.sampled_from(["release", "roll back", "commit now"]))
    def the_holder_ends_its_unit(self, how: str) -> None:
        machine, holder = self.machine, self.machine.holder
        if how == "release":
            self.released.append(f"{holder}-done")
            machine.unit_released(holder, f"{holder}-done")
        elif how == "roll back":
            if machine.roll_back_unit(holder) is Rollback.TRANSACTION:
                machine.rolled_back(holder)
        else:
            machine.unit_released(holder, None)
            machine.commit_started(holder)
            self.settled += machine.commit_ended(holder)
        machine.give_turn(holder)

    @precondition(lambda self: self._holder_is_a_caller() and self.machine.phase is Phase.HELD)
    @rule()
    def the_holder_runs_one_statement_outside_any_unit(self) -> None:
        self.machine.give_turn(self.machine.holder)

    @precondition(lambda self: self.machine.phase is Phase.UNIT)
    @rule()
    def an_error_ends_the_transaction(self) -> None:
        holder = self.machine.holder
        self.settled += self.machine.transaction_lost()
        assert self.machine.roll_back_unit(holder) is Rollback.NOTHING
        self.machine.give_turn(holder)

    @precondition(lambda self: self.machine.holder is COMMITTER and self.machine.phase is Phase.HELD)
    @rule()
    def the_groups_commit_runs(self) -> None:
        self.machine.commit_started(COMMITTER)
        self.settled += self.machine.commit_ended(COMMITTER)
        self.machine.give_turn(COMMITTER)

    @invariant()
    def every_released_unit_is_waiting_or_settled_once(self) -> None:
        waiting = self.machine.group + self.machine.batch
        assert sorted(self.settled + waiting) == sorted(self.released)
        assert len(set(self.settled)) == len(self.settled)

    @invariant()
    def one_holder_and_a_line_only_behind_it(self) -> None:
        machine = self.machine
        assert machine.holder not in machine.line
        if machine.holder is None:
            assert not machine.line and machine.phase in (Phase.IDLE, Phase.CLOSED)


TestWritersTakingTurns = WritersTakingTurns.TestCase

