"""The SQLite writer's connection with hooks, for the tests of what can go wrong around it.

``FaultyConnection`` is a ``sqlite3.Connection`` (the writer opens its file with it as the factory):

- ``gates``: a statement that starts with one of these words (``COMMIT``, ``BEGIN``) waits on the
  writer's thread until the test opens its gate, so a test can act while it runs;
- ``failures``: a statement that starts with one of these words fails with the error given; with
  ``ends_transaction`` SQLite's whole transaction is rolled back first, as a disk I/O error or a
  full disk may do;
- ``overlaps``: every time a call began while another was still running (the writer must use its
  connection from one caller at a time: a COMMIT on its thread and a SAVEPOINT on the loop's would
  interleave).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Failure:
    error: Exception
    ends_transaction: bool = False
    times: int = 1
    skip: int = 0


@dataclass
class Faults:
    gates: dict[str, threading.Event] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)
    running: dict[str, threading.Event] = field(default_factory=dict)
    overlaps: list[str] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)

    def gate(self, word: str) -> threading.Event:
        """Statements starting with ``word`` wait until the returned event is set."""
        self.gates[word] = gate = threading.Event()
        self.running[word] = threading.Event()
        return gate

    def fail(self, word: str, error: Exception, *, ends_transaction: bool = False, times: int = 1,
             skip: int = 0) -> None:
        """The statements starting with ``word`` fail ``times`` times, after ``skip`` that succeed."""
        self.failures[word] = Failure(error, ends_transaction, times, skip)


class FaultyConnection(sqlite3.Connection):
    faults: Faults  # set by ``faulty_connection_class``

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._busy = 0
        self._busy_lock = threading.Lock()

    @contextmanager
    def _alone(self, sql: str) -> Iterator[None]:
        with self._busy_lock:
            if self._busy:
                self.faults.overlaps.append(sql)
            self._busy += 1
        try:
            yield
        finally:
            with self._busy_lock:
                self._busy -= 1

    def _before(self, sql: str) -> None:
        word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        self.faults.statements.append(sql)
        if word in self.faults.running:
            self.faults.running[word].set()
        gate = self.faults.gates.get(word)
        if gate is not None:
            gate.wait(timeout=30)
        failure = self.faults.failures.get(word)
        if failure is not None and failure.skip > 0:
            failure.skip -= 1
        elif failure is not None and failure.times > 0:
            failure.times -= 1
            if failure.ends_transaction and self.in_transaction:
                sqlite3.Connection.execute(self, "ROLLBACK")
            raise failure.error

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        with self._alone(sql):
            self._before(sql)
            return super().execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        with self._alone(sql):
            self._before(sql)
            return super().executemany(sql, *args)

    def commit(self) -> None:
        with self._alone("COMMIT"):
            self._before("COMMIT")
            super().commit()

    def rollback(self) -> None:
        with self._alone("ROLLBACK"):
            self._before("ROLLBACK")
            super().rollback()

    def close(self) -> None:
        with self._alone("CLOSE"):
            super().close()

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(_FaultyCursor)


class _FaultyCursor(sqlite3.Cursor):
    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        connection: FaultyConnection = self.connection  # type: ignore[assignment]
        with connection._alone(sql):
            connection._before(sql)
            return super().execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        connection: FaultyConnection = self.connection  # type: ignore[assignment]
        with connection._alone(sql):
            connection._before(sql)
            return super().executemany(sql, *args)


def faulty_connection_class(faults: Faults) -> type[FaultyConnection]:
    return type("FaultyConnectionForTest", (FaultyConnection,), {"faults": faults})


def faulty_writer(container: Any) -> Faults:
    r"""The container's SQLite writer, not opened yet, made to open ``FaultyConnection``\ s: the
    ``Faults`` that drive them."""
    faults = Faults()
    writer = container.sqlite_writer()
    assert writer is not None and not writer.is_open
    writer.connection_class = faulty_connection_class(faults)
    return faults
