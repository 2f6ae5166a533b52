"""Fixed-window rate limiting in this process only: correct for one worker, not for several."""

from __future__ import annotations

import time
from collections.abc import Callable

from hospital.application.ports.rate_limit import RateDecision


class InMemoryRateLimiter:
    def __init__(self, now: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._now = now
        self._max_keys = max_keys
        self._windows: dict[str, tuple[int, int]] = {}

    async def hit(self, key: str, *, limit: int, period_seconds: int) -> RateDecision:
        now = self._now()
        window = int(now // period_seconds)
        started, count = self._windows.get(key, (window, 0))
        if started != window:
            count = 0
        count += 1
        if len(self._windows) >= self._max_keys and key not in self._windows:
            # Bounded memory under address-spraying: forget the windows that have ended.
            self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        self._windows[key] = (window, count)
        if count > limit:
            retry_after = max(1, int((window + 1) * period_seconds - now + 0.999))
            return RateDecision(allowed=False, retry_after=retry_after)
        return RateDecision(allowed=True)
