"""Readiness of Redis, where the rate-limit counters of every worker live."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError


class RedisHealthCheck:
    name = "redis"

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def problem(self) -> str | None:
        try:
            await self._redis.ping()
        except (RedisError, OSError):
            return "unreachable"
        return None
