"""One warning when the database or Redis stops answering, naming why; not one per request.

Every request that needs the missing service answers 503 (errors.py); the operator needs to know
once that it is missing and why, not to find the reason among thousands of identical lines. An
outage is over for this log when no request failed for it during ``quiet_seconds``: a later failure
is a new outage and is logged again. A different kind of cause during an outage (the server
refusing connections, then the tables missing) is logged too; the same kind with other words (one
missing table, then another) is not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("hospital.outage")

QUIET_SECONDS = 60.0
# Causes that mean the schema is not there (PostgreSQL, SQLite): the fix is a command, say which.
_NOT_MIGRATED = ("does not exist", "no such table", "UndefinedTable")


@dataclass(slots=True)
class _Outage:
    kind: str  # the innermost cause's class: what tells one outage's cause from another's
    last_failure: float
    failures: int = 1


def service_of(cause: BaseException | None) -> str:
    """Which backing service an unavailable error came from, by the library that raised it."""
    while cause is not None:
        if type(cause).__module__.split(".", 1)[0] == "redis":
            return "Redis"
        cause = cause.__cause__
    return "database"


def _innermost(cause: BaseException | None) -> BaseException | None:
    while cause is not None and cause.__cause__ is not None:
        cause = cause.__cause__
    return cause


def describe(cause: BaseException | None) -> str:
    """The innermost cause's class and first line: what the driver said."""
    innermost = _innermost(cause)
    if innermost is None:
        return "no cause given"
    text = str(innermost).strip().splitlines()
    reason = f"{type(innermost).__name__}: {text[0]}" if text else type(innermost).__name__
    return reason[:300]


class OutageLog:
    def __init__(self, quiet_seconds: float = QUIET_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._quiet, self._clock = quiet_seconds, clock
        self._outages: dict[str, _Outage] = {}

    def failed(self, error: BaseException) -> None:
        """Record a request that answered 503 because of ``error``; warn if it starts an outage."""
        cause = error.__cause__
        service, reason, kind = service_of(cause), describe(cause), type(_innermost(cause)).__name__
        now = self._clock()
        outage = self._outages.get(service)
        if outage is not None and now - outage.last_failure <= self._quiet and outage.kind == kind:
            outage.last_failure = now
            outage.failures += 1
            return
        self._outages[service] = _Outage(kind=kind, last_failure=now)
        hint = " (not migrated? run `hospital migrate`)" if any(word in reason for word in _NOT_MIGRATED) else ""
        log.warning("%s unavailable: %s%s; requests that need it answer 503 until it is back "
                    "(logged once per outage)", service, reason, hint,
                    extra={"service": service, "cause": reason})
