"""What an operator got wrong about HOSPITAL_REDIS_URL, in one line, before any worker starts.

A URL redis-py cannot read would otherwise fail in every worker as it starts, and the server
would restart them forever.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

SETTING = "HOSPITAL_REDIS_URL"
EXAMPLE = "redis://127.0.0.1:6379/0"
CHECK_TIMEOUT_SECONDS = 5


def _shown(redis_url: str) -> str:
    """The URL without its password, which a log line must not carry."""
    try:
        parts = urlsplit(redis_url)
        if parts.password is None:
            return redis_url
        host = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return parts._replace(netloc=f"{user}:***@{host}").geturl()
    except ValueError:
        return "(unreadable URL)"


def _client(redis_url: str) -> Redis | str:
    try:
        client = Redis.from_url(redis_url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
                                socket_timeout=CHECK_TIMEOUT_SECONDS)
    except ValueError as error:
        return f"{SETTING}: {_shown(redis_url)!r} is not a Redis URL ({error}; expected e.g. {EXAMPLE})."
    return client


def redis_url_problem(redis_url: str) -> str | None:
    """Why ``redis_url`` cannot be used at all, or None (an empty URL means no Redis)."""
    if not redis_url:
        return None
    client = _client(redis_url)
    return client if isinstance(client, str) else None


async def redis_connection_problem(redis_url: str) -> str | None:
    """Why Redis does not answer at ``redis_url`` right now, or None."""
    if not redis_url:
        return None
    client = _client(redis_url)
    if isinstance(client, str):
        return client
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await client.ping()
    except (RedisError, OSError, TimeoutError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"{SETTING}: Redis does not answer at {_shown(redis_url)!r} ({reason}): start it or correct the URL."
    finally:
        await client.aclose()
    return None
