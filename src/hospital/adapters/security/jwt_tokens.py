"""Access and refresh tokens as JWTs signed with HS256 (PyJWT)."""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from hospital.application.errors import InvalidTokenError, TokenExpiredError
from hospital.application.ports.clock import Clock
from hospital.application.ports.security import IssuedToken, TokenClaims, TokenType

ALGORITHM = "HS256"
# RFC 7518 §3.2: an HMAC key must be at least as long as the hash output (256 bits).
MIN_SECRET_BYTES = 32
# Far above any token this class issues; refuses absurd inputs before any parsing.
MAX_TOKEN_LENGTH = 4096
WRONG_TYPE = "Token has wrong type"
# Distinct tokens whose verified claims are kept; a few hundred bytes each.
VERIFIED_CACHE_SIZE = 4096

_REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "type", "iss"]
_USER_ID = re.compile(r"0|[1-9][0-9]{0,18}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


# The claims of a token whose signature and shape were verified, and the times it is valid between
# (not before: the later of iat and nbf; expires: exp).
_Verified = tuple[TokenClaims, int, int]


class PyJwtTokenService:
    """Issues and checks tokens; every refusal is an ``InvalidTokenError``."""

    def __init__(self, secret: str, issuer: str, access_lifetime: timedelta, refresh_lifetime: timedelta,
                 clock: Clock) -> None:
        key = secret.encode()
        if len(key) < MIN_SECRET_BYTES:
            raise ValueError(f"The token secret must be at least {MIN_SECRET_BYTES} bytes long.")
        if not issuer:
            raise ValueError("The token issuer may not be empty.")
        lifetimes = {TokenType.ACCESS: access_lifetime, TokenType.REFRESH: refresh_lifetime}
        for token_type, lifetime in lifetimes.items():
            if lifetime < timedelta(seconds=1):
                raise ValueError(f"The {token_type} token lifetime must be at least one second.")
        self._key = key
        self._issuer = issuer
        self._lifetimes = lifetimes
        self._clock = clock
        self._verified: dict[str, _Verified] = {}

    def issue(self, *, user_id: int, token_type: TokenType, version: int = 0,
              family: str | None = None) -> IssuedToken:
        if not _is_natural(user_id):
            raise ValueError("user_id must be a non-negative integer.")
        if not _is_natural(version):
            raise ValueError("version must be a non-negative integer.")
        token_type = TokenType(token_type)
        if family and token_type is not TokenType.REFRESH:
            raise ValueError("Only refresh tokens belong to a rotation family.")
        # Whole seconds, so the claims returned here are exactly the ones decode() will read back.
        issued = math.floor(self._clock.now().timestamp())
        expires = issued + int(self._lifetimes[token_type].total_seconds())
        jti = secrets.token_hex(16)
        payload: dict[str, Any] = {
            "iss": self._issuer,
            "sub": str(user_id),  # RFC 7519 §4.1.2: a string
            "type": token_type.value,
            "jti": jti,
            "iat": issued,
            "exp": expires,
            "ver": version,
        }
        fam = ""
        if token_type is TokenType.REFRESH:
            fam = payload["fam"] = family or jti
        token = jwt.encode(payload, self._key, algorithm=ALGORITHM)
        claims = TokenClaims(
            user_id=user_id, token_type=token_type, jti=jti,
            issued_at=datetime.fromtimestamp(issued, UTC), expires_at=datetime.fromtimestamp(expires, UTC),
            version=version, family=fam,
        )
        return IssuedToken(token=token, claims=claims)

    def decode(self, token: str, *, expected_type: TokenType) -> TokenClaims:
        verified = self._verified.get(token) if isinstance(token, str) else None
        if verified is None:
            verified = self._verify(token)
        claims, not_before, expires = verified
        now = self._clock.now().timestamp()
        # The times are checked on every use, cached or not: a cached token still expires.
        if not_before > now:
            raise InvalidTokenError()
        if claims.token_type is not TokenType(expected_type):
            raise InvalidTokenError(WRONG_TYPE)
        if expires <= now:
            raise TokenExpiredError.of_type(claims.token_type.value)
        return claims

    def _verify(self, token: str) -> _Verified:
        try:
            payload = self._verified_payload(token)
            claims = self._claims(payload)
        # A signed-but-odd payload can fail in int()/fromtimestamp(); none of it may escape as a 500.
        except (jwt.PyJWTError, ValueError, TypeError, OverflowError, OSError, RecursionError) as error:
            raise InvalidTokenError() from error
        not_before = _integer(payload, "iat")
        if "nbf" in payload:
            not_before = max(not_before, _integer(payload, "nbf"))
        verified = (claims, not_before, _integer(payload, "exp"))
        if verified[2] <= self._clock.now().timestamp():
            # Signed by us and well formed, but expired: said so, so that the client refreshes. Not cached.
            return verified
        # Each authenticated request decodes its token twice (the rate limiter, then the actor), and
        # a client sends the same token for many requests: the signature and the parsing are done
        # once per token string. Only tokens that verified are kept; bounded, oldest out first.
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = verified
        return verified

    def _verified_payload(self, token: str) -> dict[str, Any]:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not _is_canonical(token):
            raise InvalidTokenError()
        payload: dict[str, Any] = jwt.decode(
            token, self._key, algorithms=[ALGORITHM], issuer=self._issuer, leeway=0,
            # PyJWT compares times with the real clock; ours is injected, so those checks happen below.
            options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_nbf": False,
                     "verify_iat": False},
        )
        now = self._clock.now().timestamp()
        if _integer(payload, "iat") > now:
            raise InvalidTokenError()
        if "nbf" in payload and _integer(payload, "nbf") > now:
            raise InvalidTokenError()
        return payload

    @staticmethod
    def _claims(payload: dict[str, Any]) -> TokenClaims:
        subject, jti, family = payload["sub"], payload["jti"], payload.get("fam", "")
        if not isinstance(subject, str) or not _USER_ID.fullmatch(subject):
            raise InvalidTokenError()
        if not isinstance(jti, str) or not jti or not isinstance(family, str):
            raise InvalidTokenError()
        try:
            token_type = TokenType(payload["type"])
        except ValueError:
            raise InvalidTokenError(WRONG_TYPE) from None
        version = payload.get("ver", 0)
        if not _is_natural(version):
            raise InvalidTokenError()
        return TokenClaims(
            user_id=int(subject), token_type=token_type, jti=jti,
            issued_at=datetime.fromtimestamp(_integer(payload, "iat"), UTC),
            expires_at=datetime.fromtimestamp(_integer(payload, "exp"), UTC),
            version=version, family=family,
        )


def _is_natural(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _integer(payload: dict[str, Any], claim: str) -> int:
    value = payload[claim]
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidTokenError()
    return value


def _is_canonical(token: str) -> bool:
    """Three base64url parts, each the one encoding of its bytes.

    Decoders ignore the spare low bits of the last character, so several strings decode to the same
    signature; accepting only the canonical one means any changed character is a different token.
    """
    parts = token.split(".")
    if len(parts) != 3 or not all(_BASE64URL.fullmatch(part) for part in parts):
        return False
    try:
        return all(_b64encode(_b64decode(part)) == part for part in parts)
    except (binascii.Error, ValueError):
        return False


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
