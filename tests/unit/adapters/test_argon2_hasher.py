from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import argon2
import pytest

from hospital.adapters.security.argon2_hasher import Argon2PasswordHasher


@pytest.fixture
async def hasher() -> AsyncIterator[Argon2PasswordHasher]:
    hasher = Argon2PasswordHasher()
    yield hasher
    hasher.close()


async def test_hash_then_verify(hasher: Argon2PasswordHasher) -> None:
    password_hash = await hasher.hash("correct horse battery staple")

    assert password_hash != "correct horse battery staple"
    assert await hasher.verify(password_hash, "correct horse battery staple") is True


async def test_each_hash_is_salted(hasher: Argon2PasswordHasher) -> None:
    assert await hasher.hash("same") != await hasher.hash("same")


async def test_wrong_password_is_false(hasher: Argon2PasswordHasher) -> None:
    password_hash = await hasher.hash("right")

    assert await hasher.verify(password_hash, "wrong") is False
    assert await hasher.verify(password_hash, "") is False
    assert await hasher.verify(password_hash, "right ") is False


@pytest.mark.parametrize("garbage", [
    "", "not a hash", "!unusable", "$argon2id$", "pbkdf2_sha256$600000$salt$hash", "$argon2id$v=19$m=1,t=1,p=1$$",
    "$argon2id$v=19$m=19456,t=2,p=1$ééé$ççç", "\x00",
])
async def test_garbage_hash_is_false_never_an_error(hasher: Argon2PasswordHasher, garbage: str) -> None:
    assert await hasher.verify(garbage, "password") is False


async def test_unicode_passwords(hasher: Argon2PasswordHasher) -> None:
    password_hash = await hasher.hash("pässwörd🙂")
    assert await hasher.verify(password_hash, "pässwörd🙂") is True
    assert await hasher.verify(password_hash, "passwörd🙂") is False


async def test_hashes_are_argon2id_with_at_least_owasp_parameters(hasher: Argon2PasswordHasher) -> None:
    parameters = argon2.extract_parameters(await hasher.hash("password"))

    assert parameters.type is argon2.Type.ID
    assert parameters.memory_cost >= 19456
    assert parameters.time_cost >= 2
    assert parameters.parallelism >= 1


async def test_needs_rehash(hasher: Argon2PasswordHasher) -> None:
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("password")
    argon2i = argon2.PasswordHasher(type=argon2.Type.I, time_cost=2, memory_cost=19456).hash("password")

    assert hasher.needs_rehash(await hasher.hash("password")) is False
    assert hasher.needs_rehash(weak) is True
    assert hasher.needs_rehash(argon2i) is True
    assert await hasher.verify(weak, "password") is True  # still logs in, then gets rehashed


@pytest.mark.parametrize("garbage", ["", "not a hash", "pbkdf2_sha256$1$a$b", "é"])
async def test_needs_rehash_is_true_for_hashes_it_cannot_read(hasher: Argon2PasswordHasher, garbage: str) -> None:
    assert hasher.needs_rehash(garbage) is True


async def test_verify_dummy_spends_one_verify_and_reuses_its_hash(
    hasher: Argon2PasswordHasher, monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real_hash, real_verify = argon2.PasswordHasher.hash, argon2.PasswordHasher.verify

    def counting_hash(self: argon2.PasswordHasher, password: Any, **kwargs: Any) -> str:
        calls.append("hash")
        return real_hash(self, password, **kwargs)

    def counting_verify(self: argon2.PasswordHasher, hash: Any, password: Any) -> bool:
        calls.append("verify")
        return real_verify(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)

    assert await hasher.verify_dummy("anything") is None
    await hasher.verify_dummy("something else")

    assert calls == ["hash", "verify", "verify"]


class ConcurrencyProbe:
    """Counts how many calls are inside at once; each call waits (briefly) for a partner to show up."""

    def __init__(self, wanted: int) -> None:
        self.wanted = wanted
        self.active = 0
        self.peak = 0
        self.threads: set[str] = set()
        self._condition = threading.Condition()

    def wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def probed(*args: Any, **kwargs: Any) -> Any:
            with self._condition:
                self.active += 1
                self.peak = max(self.peak, self.active)
                self.threads.add(threading.current_thread().name)
                self._condition.notify_all()
                # Gives an overlapping call the chance to be seen; the timeout only bounds the wait.
                self._condition.wait_for(lambda: self.active >= self.wanted, timeout=0.2)
            try:
                return original(*args, **kwargs)
            finally:
                with self._condition:
                    self.active -= 1
        return probed


@pytest.mark.parametrize("max_concurrency", [1, 2])
async def test_no_more_than_max_concurrency_hashes_run_at_once(
    monkeypatch: pytest.MonkeyPatch, max_concurrency: int,
) -> None:
    probe = ConcurrencyProbe(wanted=max_concurrency + 1)
    monkeypatch.setattr(argon2.PasswordHasher, "hash", probe.wrap(argon2.PasswordHasher.hash))
    monkeypatch.setattr(argon2.PasswordHasher, "verify", probe.wrap(argon2.PasswordHasher.verify))
    hasher = Argon2PasswordHasher(max_concurrency=max_concurrency)
    try:
        known = await hasher.hash("x")
        await asyncio.gather(
            hasher.hash("a"), hasher.hash("b"), hasher.verify(known, "x"), hasher.verify_dummy("y"),
        )
    finally:
        hasher.close()

    assert probe.peak == max_concurrency
    assert threading.main_thread().name not in probe.threads


async def test_hashing_does_not_block_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()
    released_in_time: list[bool] = []
    real_hash = argon2.PasswordHasher.hash

    def hash_waiting_for_the_loop(self: argon2.PasswordHasher, password: Any, **kwargs: Any) -> str:
        started.set()
        # Only a coroutine on the event loop sets this; had the hash run on the loop, it would time out.
        released_in_time.append(release.wait(timeout=5))
        return real_hash(self, password, **kwargs)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", hash_waiting_for_the_loop)
    hasher = Argon2PasswordHasher()
    try:
        hashing = asyncio.create_task(hasher.hash("password"))
        assert await asyncio.to_thread(started.wait, 5)
        release.set()
        password_hash = await hashing
    finally:
        hasher.close()

    assert released_in_time == [True]
    assert password_hash.startswith("$argon2id$")


async def test_close_stops_the_pool() -> None:
    hasher = Argon2PasswordHasher()
    hasher.close()
    with pytest.raises(RuntimeError):
        await hasher.hash("password")


def test_max_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Argon2PasswordHasher(max_concurrency=0)
