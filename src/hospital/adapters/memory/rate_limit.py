"""Sliding-window rate limiting in this process only: correct for one worker, not for several.

Each key keeps a log of the times it was admitted within the last period, oldest first (a
"sliding log"). A request is admitted when fewer than ``limit`` admissions are younger than
``period`` seconds; the wait of a refused one is the time until the oldest of the last ``limit``
admissions leaves the window. A log never holds more than ``limit`` times, and each time is
appended and dropped once: O(1) per request, amortised.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from hospital.application.ports.rate_limit import ADMITTED, RateDecision, refused


class InMemoryRateLimiter:
    def __init__(self, now: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._now = now
        self._logs: dict[tuple[str, int], deque[float]] = {}
        # Forgetting idle keys costs a pass over them all, so it runs when the table has doubled
        # since the last pass (and at ``max_keys`` at the earliest): amortised O(1) per new key.
        self._max_keys = max_keys
        self._forget_at = max_keys

    async def hit(self, key: str, *, limit: int, period_seconds: int) -> RateDecision:
        now = self._now()
        log = self._logs.get((key, period_seconds))
        if log is None:
            if len(self._logs) >= self._forget_at:
                self._forget_idle(now)
            log = self._logs[(key, period_seconds)] = deque()
        elif log[-1] > now:
            now = log[-1]  # a clock that steps back must not reopen the window
        horizon = now - period_seconds
        while log and log[0] <= horizon:
            log.popleft()
        if len(log) >= limit:
            return refused(log[len(log) - limit] + period_seconds - now)
        log.append(now)
        return ADMITTED

    def _forget_idle(self, now: float) -> None:
        """Drop the keys with no admission inside their window: bounded memory under address spraying."""
        self._logs = {k: log for k, log in self._logs.items() if log and log[-1] > now - k[1]}
        self._forget_at = max(self._max_keys, 2 * len(self._logs))
