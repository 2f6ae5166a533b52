"""Password hashing with argon2id, run on a small dedicated thread pool."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from hospital.adapters.thread_priority import lower_this_threads_priority

T = TypeVar("T")

# OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1 is the minimum configuration.
OWASP_TIME_COST = 2
OWASP_MEMORY_COST_KIB = 19456
OWASP_PARALLELISM = 1
# Hashing threads yield the CPU to the event loop (nice 0), which serves every other request: on a
# small machine a burst of logins would otherwise stretch every list's latency (bench figure R5).
HASHING_NICENESS = 10


def _lower_this_threads_priority() -> None:
    lower_this_threads_priority(HASHING_NICENESS)


class Argon2PasswordHasher:
    """argon2id hashes; at most ``max_concurrency`` hash or verify at once, never on the event loop.

    Each hash holds ``memory_cost`` KiB while it runs, so the pool size is also the memory bound:
    a burst of logins queues here instead of exhausting memory or starving the loop.
    """

    def __init__(self, max_concurrency: int = 2, time_cost: int = OWASP_TIME_COST,
                 memory_cost: int = OWASP_MEMORY_COST_KIB, parallelism: int = OWASP_PARALLELISM) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1.")
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=argon2.Type.ID,
        )
        self._executor = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="argon2",
                                            initializer=_lower_this_threads_priority)
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    async def hash(self, password: str) -> str:
        return await self._run(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._run(self._verify, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        await self._run(self._verify_dummy, password)

    def needs_rehash(self, password_hash: str) -> bool:
        # An unparsable hash can never verify, so this is only reached for odd stored values; answering
        # True is the safe side: the next successful login (if any) replaces it with a current hash.
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True

    def close(self) -> None:
        """Stop the pool: queued work is cancelled, a hash already running is waited for."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        # ValueError also covers a non-ASCII hash string, which argon2 cannot even encode.
        except (VerificationError, InvalidHashError, ValueError):
            return False

    def _verify_dummy(self, password: str) -> None:
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(32))
            dummy = self._dummy_hash
        self._verify(dummy, password)
