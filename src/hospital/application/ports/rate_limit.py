"""Counting requests per client for rate limits, shared by every worker when it can be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    retry_after: int = 0  # seconds until the window resets, when refused


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, period_seconds: int) -> RateDecision:
        """Count one request for ``key``; refuse it once ``limit`` is passed in the window."""
        ...
