"""Fixed-window rate limiting in Redis, so N workers enforce one limit rather than N."""

from __future__ import annotations

import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from hospital.application.errors import ServiceUnavailableError
from hospital.application.ports.rate_limit import RateDecision

# INCR and EXPIRE in one round trip, atomically.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RedisRateLimiter:
    def __init__(self, redis: Redis, prefix: str = "hospital:rl:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_HIT)

    async def hit(self, key: str, *, limit: int, period_seconds: int) -> RateDecision:
        now = time.time()
        window = int(now // period_seconds)
        try:
            count = int(await self._script(keys=[f"{self._prefix}{key}:{period_seconds}:{window}"],
                                           args=[period_seconds + 1]))
        except (RedisError, OSError) as error:
            # Closed, not open: without the shared counters nothing would stop password guessing.
            raise ServiceUnavailableError() from error
        if count > limit:
            return RateDecision(allowed=False, retry_after=max(1, int((window + 1) * period_seconds - now + 0.999)))
        return RateDecision(allowed=True)
