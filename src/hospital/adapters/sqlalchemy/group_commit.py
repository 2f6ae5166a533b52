"""The SQLite writer's group commit as a plain state machine: who holds the turn on the one connection,
who waits for it, which released units wait for the COMMIT, and what each event changes.

No event loop, no threads, no sqlite3 here: the writer (sqlite_writer.py) runs the statements, tells
the machine what happened, and does what it answers (hand the turn to the caller it names, settle the
units it returns). docs/architecture.md has the state diagram and the invariants (``_check``).

Phases, for the connection::

    IDLE        no transaction, nobody holds the turn (nobody waits for it either)
    HELD        a caller holds the turn and runs no unit: it is about to begin one, has just
                ended one, or runs one statement outside any unit
    BEGINNING   the holder's BEGIN IMMEDIATE runs (on the writer's thread: it may wait for the
                write lock held by another process)
    UNIT        the holder's unit of work runs, inside its SAVEPOINT
    LOST        an error ended SQLite's transaction under the holder's unit: its work and the
                group's are gone; the holder may only roll back
    COMMITTING  the holder's COMMIT runs (on the writer's thread)
    CLOSED      the connection is closed

Beside the phase: ``transaction`` (SQLite's transaction is open), ``group`` (the units released
into it, waiting for its COMMIT), ``batch`` (the units the running COMMIT will settle), and the
line of callers waiting for the turn, first come first served. A caller is any object; the
machine's own ``COMMITTER`` stands in the line for the group's COMMIT. Every transition refuses to
run in a phase it does not belong to (``InvalidTransitionError``); the invariants are checked after
every event when ``GroupCommit.check_invariants`` is on, as it is in the test suite.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar


class Phase(StrEnum):
    IDLE = "idle"
    HELD = "held"
    BEGINNING = "beginning"
    UNIT = "unit"
    LOST = "lost"
    COMMITTING = "committing"
    CLOSED = "closed"


class Rollback(StrEnum):
    """What the holder's rollback must undo."""

    SAVEPOINT = "savepoint"  # its own work only: released units wait in the same transaction
    TRANSACTION = "transaction"  # the whole transaction: nobody else's work is in it
    NOTHING = "nothing"  # the transaction is already gone (LOST)


# The members as module names: reading ``Phase.HELD`` costs an attribute lookup on the enum's class
# (slow on Python 3.11), and these run several times per unit of work.
IDLE, HELD, BEGINNING, UNIT, LOST, COMMITTING, CLOSED = Phase
ROLL_BACK_SAVEPOINT, ROLL_BACK_TRANSACTION, ROLL_BACK_NOTHING = Rollback


class _Committer:
    def __repr__(self) -> str:
        return "COMMITTER"


COMMITTER: Hashable = _Committer()
"""The group's COMMIT, as it waits in line for the turn."""


class InvalidTransitionError(AssertionError):
    """An event that cannot happen in the current phase: a bug in the writer, never a database error."""


@dataclass(slots=True)
class GroupCommit:
    phase: Phase = IDLE
    holder: Hashable | None = None
    transaction: bool = False
    group: list[Hashable] = field(default_factory=list)
    batch: list[Hashable] = field(default_factory=list)
    line: deque[Hashable] = field(default_factory=deque)
    committer_in_line: bool = False
    closing: bool = False
    check_invariants: ClassVar[bool] = False

    # --- the turn ------------------------------------------------------------------------------------

    def ask_turn(self, caller: Hashable) -> bool:
        """True: ``caller`` holds the turn now. False: it waits in line; the event that hands it the
        turn returns it."""
        self._expect(self.phase is not CLOSED, "the connection is closed")
        self._expect(caller is not COMMITTER and caller != self.holder and caller not in self.line,
                     "a caller asks for the turn twice")
        if self.holder is None:
            self._hand(caller)
            return True
        self.line.append(caller)
        self._check()
        return False

    def leave_line(self, caller: Hashable) -> Hashable | None:
        """``caller`` stops waiting (cancelled, timed out). If the turn reached it meanwhile, it is
        passed on: returns the new holder, or None."""
        if caller in self.line:
            self.line.remove(caller)
            self._check()
            return None
        if caller == self.holder and self.phase is HELD:
            return self.give_turn(caller)
        return None

    def give_turn(self, caller: Hashable) -> Hashable | None:
        """The holder is done: returns who holds the turn now (None: nobody). A holder leaves no
        transaction behind that nobody's work is in: it rolls back what it began and did not use."""
        self._expect_holder(caller, HELD)
        self._expect(not self.transaction or bool(self.group), "the turn given up with an empty transaction open")
        self.holder = None
        if self.line:
            following = self.line.popleft()
            if following is COMMITTER:
                self.committer_in_line = False
            self._hand(following)
            return following
        self.phase = IDLE
        self._check()
        return None

    def _hand(self, caller: Hashable) -> None:
        self.holder = caller
        self.phase = HELD
        self._check()

    # --- a unit of work, in its turn -------------------------------------------------------------------

    @property
    def must_begin(self) -> bool:
        """Whether the holder's unit needs a BEGIN (no transaction is open to join)."""
        return not self.transaction

    def begin_started(self, caller: Hashable) -> None:
        self._expect_holder(caller, HELD)
        self._expect(not self.transaction, "BEGIN inside a transaction")
        self.phase = BEGINNING
        self._check()

    def begin_ended(self, caller: Hashable, *, began: bool) -> None:
        """The BEGIN has returned (``began``: the transaction is open), or failed."""
        self._expect_holder(caller, BEGINNING)
        self.transaction = began
        self.phase = HELD
        self._check()

    def unit_opened(self, caller: Hashable) -> None:
        """The holder's SAVEPOINT is made: its unit runs."""
        self._expect_holder(caller, HELD)
        self._expect(self.transaction, "a unit outside a transaction")
        self.phase = UNIT
        self._check()

    def unit_released(self, caller: Hashable, waiting: Hashable | None) -> None:
        """The holder's savepoint is released. ``waiting`` (the unit's acknowledgement) joins the group
        and the COMMITTER takes its place in line, if it has none yet; None: the holder commits now
        (``commit_started``)."""
        self._expect_holder(caller, UNIT)
        if waiting is not None:
            if not self.group:
                self.line.append(COMMITTER)
                self.committer_in_line = True
            self.group.append(waiting)
        self.phase = HELD
        self._check()

    def roll_back_unit(self, caller: Hashable) -> Rollback:
        """The holder's unit ends without committing; returns what the writer must roll back, then
        report with ``rolled_back``."""
        self._expect_holder(caller, UNIT, LOST)
        if self.phase is LOST:
            self.phase = HELD
            self._check()
            return ROLL_BACK_NOTHING
        self.phase = HELD
        self._check()
        return ROLL_BACK_SAVEPOINT if self.group else ROLL_BACK_TRANSACTION

    def rolled_back(self, caller: Hashable) -> None:
        """The holder rolled the whole transaction back (nobody else's work was in it)."""
        self._expect_holder(caller, HELD)
        self._expect(not self.group, "a rollback would take released units' work")
        self.transaction = False
        self._check()

    def transaction_lost(self) -> list[Hashable]:
        """An error ended SQLite's transaction (a full disk, an I/O error): returns the released units,
        whose work is gone. A unit running in it can only roll back."""
        self._expect(self.phase is not COMMITTING, "use commit_ended for a failed COMMIT")
        lost, self.group = self.group, []
        self._drop_committer()
        self.transaction = False
        if self.phase is UNIT:
            self.phase = LOST
        self._check()
        return lost

    # --- the COMMIT --------------------------------------------------------------------------------------

    def commit_started(self, caller: Hashable) -> None:
        """The holder (the COMMITTER, or a caller that commits at once) runs COMMIT: every unit released
        so far is in it."""
        self._expect_holder(caller, HELD)
        self._expect(self.transaction, "COMMIT without a transaction")
        self.batch, self.group = self.group, []
        self._drop_committer()
        self.phase = COMMITTING
        self._check()

    def commit_ended(self, caller: Hashable) -> list[Hashable]:
        """The COMMIT has returned, committed or failed (and then rolled back): the transaction is over.
        Returns the units it settles; the holder still holds the turn."""
        self._expect_holder(caller, COMMITTING)
        settled, self.batch = self.batch, []
        self.transaction = False
        self.phase = HELD
        self._check()
        return settled

    # --- opening and closing -----------------------------------------------------------------------------

    def opened(self) -> None:
        """The writer's connection is (still, or again) open for a new user."""
        if self.closing or self.phase is CLOSED:
            self.closing = False
            if self.phase is CLOSED:
                self.phase = IDLE
            self._check()

    def close(self) -> bool:
        """The writer's last user has left. True: close the connection now. False: released units wait
        for their COMMIT, or a COMMIT or BEGIN runs: the connection closes when the turn is given back
        with nothing left to do (``may_close``)."""
        if self.phase is CLOSED:
            return False
        self.closing = True
        return self.may_close()

    def may_close(self) -> bool:
        if not self.closing or self.holder is not None or self.line or self.group or self.transaction:
            return False
        self.phase, self.closing = CLOSED, False
        self._check()
        return True

    # --- checks ------------------------------------------------------------------------------------------

    def _drop_committer(self) -> None:
        if self.committer_in_line:
            self.line.remove(COMMITTER)
            self.committer_in_line = False

    def _expect(self, condition: bool, message: str) -> None:
        if not condition:
            raise InvalidTransitionError(f"{message} (in {self.phase})")

    def _expect_holder(self, caller: Hashable, *phases: Phase) -> None:
        if caller != self.holder:
            raise InvalidTransitionError(f"{caller!r} does not hold the turn ({self.holder!r} does)")
        if self.phase not in phases:
            raise InvalidTransitionError(f"{caller!r} cannot do this in {self.phase}")

    def _check(self) -> None:
        """The invariants (docs/architecture.md), after every event when ``check_invariants`` is on
        (the test suite turns it on; served processes skip it, several times per unit of work)."""
        if not GroupCommit.check_invariants:
            return
        phase, transaction, group, holder = self.phase, self.transaction, self.group, self.holder
        committer_waits = self.committer_in_line
        if not (
            # 1. Nobody holds the turn only when nobody waits for it and the connection rests.
            (holder is not None or (not self.line and phase in _RESTING))
            # 2. Released units wait only in an open transaction, with its COMMIT coming for them (in
            #    line, or holding the turn to run it); the COMMITTER waits only for released units.
            and (not group or (transaction and (committer_waits or holder is COMMITTER)))
            and (group or not committer_waits)
            # 3. A batch exists only while its COMMIT runs.
            and (not self.batch or phase is COMMITTING)
            # 4. A unit or a COMMIT runs only in an open transaction; BEGIN, a lost unit and a resting
            #    connection have none.
            and (transaction or phase not in _IN_TRANSACTION)
            and (not transaction or phase not in _NO_TRANSACTION)
        ):
            raise InvalidTransitionError(f"an invariant does not hold: {self!r}")


_RESTING = frozenset((IDLE, CLOSED))
_IN_TRANSACTION = frozenset((UNIT, COMMITTING))
_NO_TRANSACTION = frozenset((BEGINNING, LOST, IDLE, CLOSED))
