"""Audit chains written by one process: a pool of *lanes*, each a chain that one unit of work at a
time appends to (domain/audit.py says what a chain is).

Why lanes. A chain's next event must link to its previous *committed* event. If two transactions
appended to one chain at once, the second would link to the first's event, and a rollback of the
first would leave a gap that looks like a removed event. So a unit of work leases a lane for its
transaction and gives it back when the transaction ends:

- committed: the lane moves on to the unit's last event;
- rolled back: the lane stays where it was (the unit's events never existed);
- outcome unknown (the database never answered the COMMIT): the lane is retired, never written again.
  Whether or not the last events were stored, the chain ends in a valid state.

Units running at the same time take different lanes (a new one when none is free), so no unit waits
for another's audit write. Lanes are named ``<host>-<pid>-<random>.<n>``: unique across workers,
processes and restarts, so several processes on one database never write the same chain (the
store's unique (chain, seq) key would refuse it anyway). A lane is retired after ``max_events``
events or ``max_age`` seconds, so chains stay short enough to be pruned whole (``prune``).

Nothing here awaits: leasing and releasing are atomic on the event loop.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hospital.domain.audit import GENESIS, AuditEntry, AuditEvent, OpenAuditEvent

MAX_EVENTS_PER_CHAIN = 10_000
MAX_CHAIN_AGE_SECONDS = 24 * 3600
_OPEN = "open"  # a lane's pending head while its open event's hash is not known (``AuditLane.open``)


def event_id() -> str:
    """A new event's id: 128 bits as 32 hex digits, the time in milliseconds (48 bits) then 80 random
    bits. Ids made one after the other sort together, so the indexes on them (the events' key, their
    patient links) grow at their ends: a batch writes a few pages, not one page per event, which on
    SQLite made a batch's inserts and commit several times cheaper than random ids did. The random
    bits are ``secrets.token_hex``'s (the system's randomness), read directly: its three Python calls
    cost more than the read, on every change's path."""
    return f"{time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF:012x}{os.urandom(10).hex()}"


def event_ids(count: int) -> list[str]:
    """``count`` new ids made at once (a batch's): one read of the system's randomness, not one each."""
    stamp = f"{time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF:012x}"
    randomness = os.urandom(10 * count).hex()
    return [stamp + randomness[20 * n:20 * n + 20] for n in range(count)]


def process_name() -> str:
    host = socket.gethostname().split(".")[0][:40] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass(slots=True)
class AuditLane:
    name: str
    opened: float
    seq: int = 0  # of the last committed event
    head: str = GENESIS  # its hash
    pending_seq: int = 0
    pending_head: str = GENESIS
    leased: bool = field(default=False)

    def seal(self, entry: AuditEntry, recorded_at: datetime) -> AuditEvent:
        if self.pending_head == _OPEN:
            raise AssertionError("an open event's hash is not known yet: nothing can link to it")
        # seal_run of one entry: AuditEvent.seal, without its wrapper's call (on every change's path).
        (event,) = AuditEvent.seal_run((entry,), event_ids=(event_id(),), recorded_at=recorded_at, chain=self.name,
                                       seq=self.pending_seq + 1, prev_hash=self.pending_head)
        self.pending_seq, self.pending_head = event.seq, event.hash
        return event

    def open(self, entry: AuditEntry, recorded_at: datetime) -> OpenAuditEvent:
        """``seal`` of an entry whose resource id the store fills in (domain/audit.py's
        ``OpenAuditEvent``): its hash, the lane's pending head, is known only once the store answers
        (``closed``); until then nothing more is sealed on the lane."""
        event = OpenAuditEvent.open(entry, event_id=event_id(), recorded_at=recorded_at, chain=self.name,
                                    seq=self.pending_seq + 1, prev_hash=self.pending_head)
        self.pending_seq, self.pending_head = event.seq, _OPEN
        return event

    def closed(self, event: AuditEvent) -> None:
        """The open event at the lane's head, as the store sealed it."""
        if self.pending_head != _OPEN or self.pending_seq != event.seq:
            raise AssertionError("not the lane's open event")
        self.pending_head = event.hash

    def seal_many(self, entries: Sequence[AuditEntry], recorded_at: datetime) -> list[AuditEvent]:
        """``seal`` of each entry in turn, at one time (a batch's)."""
        if len(entries) <= 1:
            return [self.seal(entry, recorded_at) for entry in entries]
        if self.pending_head == _OPEN:
            raise AssertionError("an open event's hash is not known yet: nothing can link to it")
        events = AuditEvent.seal_run(entries, event_ids=event_ids(len(entries)), recorded_at=recorded_at,
                                     chain=self.name, seq=self.pending_seq + 1, prev_hash=self.pending_head)
        self.pending_seq, self.pending_head = events[-1].seq, events[-1].hash
        return events


class AuditLanes:
    """The process's lanes; one instance per process (the composition root's singleton)."""

    def __init__(self, process: str | None = None, *, max_events: int = MAX_EVENTS_PER_CHAIN,
                 max_age: float = MAX_CHAIN_AGE_SECONDS) -> None:
        self.process = process or process_name()
        self._max_events, self._max_age = max_events, max_age
        self._free: list[AuditLane] = []
        self._opened = 0

    def lease(self) -> AuditLane:
        """A lane no other unit holds: the most recently freed one that is not due for retirement, or a new one."""
        now = time.monotonic()
        while self._free:
            lane = self._free.pop()
            if lane.seq < self._max_events and now - lane.opened < self._max_age:
                lane.leased = True
                return lane
        self._opened += 1
        lane = AuditLane(name=f"{self.process}.{self._opened}", opened=now, leased=True)
        return lane

    def release(self, lane: AuditLane, *, committed: bool | None) -> None:
        """Give the lane back: ``committed`` True (its events are stored), False (they are not), None (unknown)."""
        if not lane.leased:
            return
        lane.leased = False
        if committed is None:
            return  # retired: never written again
        if committed:
            if lane.pending_head == _OPEN:
                raise AssertionError("committed with its open event's hash unknown")
            lane.seq, lane.head = lane.pending_seq, lane.pending_head
        else:
            lane.pending_seq, lane.pending_head = lane.seq, lane.head
        self._free.append(lane)

    @property
    def free(self) -> int:
        return len(self._free)
