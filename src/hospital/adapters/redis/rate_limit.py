"""Sliding-window rate limiting in Redis, so N workers enforce one limit rather than N.

The same sliding log as the in-memory limiter (adapters/memory/rate_limit.py), kept in a Redis
list per key and decided by one Lua script, so a decision and its record are atomic across every
worker. Times come from the workers' clocks (keep hosts NTP-synchronised); a time earlier than the
key's last admission is taken as that admission's time, so a late clock cannot reopen a window.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from hospital.application.errors import ServiceUnavailableError
from hospital.application.ports.rate_limit import ADMITTED, RateDecision, refused

# KEYS[1]: the key's log, admission times oldest first. ARGV: now, period (s), limit.
# Returns nil when admitted, else the admission time whose leaving the window admits one more.
# The key expires when its newest admission leaves the window (plus a second for clocks apart).
_HIT = """
local log = KEYS[1]
local stamp, period, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = tonumber(stamp)
local newest = redis.call('LINDEX', log, -1)
if newest and tonumber(newest) > now then
  stamp, now = newest, tonumber(newest)
end
local horizon = now - period
while true do
  local oldest = redis.call('LINDEX', log, 0)
  if not oldest or tonumber(oldest) > horizon then break end
  redis.call('LPOP', log)
end
local count = redis.call('LLEN', log)
if count >= limit then
  return redis.call('LINDEX', log, count - limit)
end
redis.call('RPUSH', log, stamp)
redis.call('PEXPIRE', log, math.ceil(period * 1000) + 1000)
return false
"""


class RedisRateLimiter:
    def __init__(self, redis: Redis, prefix: str = "hospital:rl:", now: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._prefix = prefix
        self._now = now
        self._script = redis.register_script(_HIT)

    async def hit(self, key: str, *, limit: int, period_seconds: int) -> RateDecision:
        now = self._now()
        try:
            # repr() of a float reads back as the same double in Lua, so both sides compare alike.
            leaving = await self._script(keys=[f"{self._prefix}{key}:{period_seconds}"],
                                         args=[repr(float(now)), period_seconds, limit])
        except (RedisError, OSError) as error:
            # Closed, not open: without the shared counters nothing would stop password guessing.
            raise ServiceUnavailableError() from error
        if leaving is None:
            return ADMITTED
        return refused(float(leaving) + period_seconds - now)
