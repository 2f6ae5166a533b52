"""Password hashing and tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...

    async def verify_dummy(self, password: str) -> None:
        """Spend the time of one verify, so unknown users cannot be told from wrong passwords."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    token_type: TokenType
    jti: str
    issued_at: datetime
    expires_at: datetime
    # The user's token version when issued: a password change or deactivation bumps it.
    version: int = 0
    # The jti of the first refresh token of a rotation chain (RFC 9700 §4.14.2).
    family: str = ""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    claims: TokenClaims


class TokenService(Protocol):
    def issue(self, *, user_id: int, token_type: TokenType, version: int = 0,
              family: str | None = None) -> IssuedToken: ...

    def decode(self, token: str, *, expected_type: TokenType) -> TokenClaims:
        """Verify signature, expiry, issuer and type; raise InvalidTokenError otherwise."""
        ...
