from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.adapters.memory.passwords import FastInsecurePasswordHasher


@given(password=st.text(), other=st.text())
async def test_verifies_its_own_hashes_and_nothing_else(password: str, other: str) -> None:
    hasher = FastInsecurePasswordHasher()
    password_hash = await hasher.hash(password)

    assert await hasher.verify(password_hash, password) is True
    assert await hasher.verify(password_hash, other) is (other == password)


async def test_hashes_are_salted_and_marked_insecure() -> None:
    hasher = FastInsecurePasswordHasher()
    first, second = await hasher.hash("same"), await hasher.hash("same")
    assert first != second
    assert first.startswith("insecure-sha256$")


@pytest.mark.parametrize("garbage", ["", "x", "insecure-sha256$", "insecure-sha256$salt$", "$argon2id$v=19$",
                                     "insecure-sha256$s$ééé"])
async def test_garbage_hashes_are_false(garbage: str) -> None:
    assert await FastInsecurePasswordHasher().verify(garbage, "password") is False


async def test_verify_dummy_and_needs_rehash() -> None:
    hasher = FastInsecurePasswordHasher()
    assert await hasher.verify_dummy("anything") is None
    assert hasher.needs_rehash(await hasher.hash("x")) is False
