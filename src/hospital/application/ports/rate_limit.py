"""Counting requests per client for rate limits, shared by every worker when it can be."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    retry_after: int = 0  # when refused: whole seconds until one more request would be admitted


ADMITTED = RateDecision(allowed=True)


def refused(wait: float) -> RateDecision:
    """A refusal whose ``Retry-After`` is ``wait`` seconds rounded up: never too early, at least 1."""
    return RateDecision(allowed=False, retry_after=max(1, math.ceil(wait)))


class RateLimiter(Protocol):
    """A sliding window: no span of ``period_seconds`` ever holds more than ``limit`` admitted
    requests for one key, and a request is refused only when admitting it would break that.

    The window is (now - period, now]: a request admitted at t no longer counts at t + period.
    Refused requests are not counted. Each ``hit`` is atomic: concurrent calls, from every process
    that shares the store, never admit more than the limit between them.
    """

    async def hit(self, key: str, *, limit: int, period_seconds: int) -> RateDecision:
        """Admit one request for ``key`` (and count it), or refuse it with the seconds to wait."""
        ...
