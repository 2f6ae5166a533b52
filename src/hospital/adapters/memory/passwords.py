"""A fast, INSECURE password hasher for tests only.

One salted SHA-256 is millions of times cheaper to brute-force than argon2id: never use this for real
accounts. It exists so unit tests that register and log in users do not spend 50 ms per hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "insecure-sha256"


class FastInsecurePasswordHasher:
    """Hashes look like ``insecure-sha256$<salt hex>$<digest hex>``, so they are easy to spot in a database."""

    async def hash(self, password: str) -> str:
        salt = secrets.token_hex(8)
        return f"{PREFIX}${salt}${_digest(salt, password)}"

    async def verify(self, password_hash: str, password: str) -> bool:
        prefix, _, rest = password_hash.partition("$")
        salt, _, digest = rest.partition("$")
        if prefix != PREFIX or not salt or not digest:
            return False
        return hmac.compare_digest(digest.encode("utf-8", "surrogatepass"), _digest(salt, password).encode())

    async def verify_dummy(self, password: str) -> None:
        _digest("dummy", password)

    def needs_rehash(self, password_hash: str) -> bool:
        return False


def _digest(salt: str, password: str) -> str:
    return hashlib.sha256(f"{salt}${password}".encode("utf-8", "surrogatepass")).hexdigest()
