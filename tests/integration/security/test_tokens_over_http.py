"""Forged, altered and misused JWTs over HTTP, each a 401 (RFC 8725 §2-3, OWASP API2:2023, ASVS V3.5).

tests/unit/adapters/test_jwt_tokens.py checks the decoder alone; these check that the API as
served refuses the same tokens, on a protected read and on the refresh endpoint.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from litestar.testing import AsyncTestClient

from hospital.settings import Settings, SettingsError
from tests.conftest import TEST_SECRET
from tests.support.http import bearer, register_over_http

PROTECTED, REFRESH = "/api/user/profiles/", "/api/user/token/refresh/"
ISSUER = "hospital"


def _b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _resign(claims: dict[str, Any], **changes: Any) -> str:
    payload = {**claims, **changes}
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, TEST_SECRET, algorithm="HS256")


FORGERIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "alg none": lambda c: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(c)}.",
    "alg None with a signature": lambda c: f"{_b64({'alg': 'None'})}.{_b64(c)}.{_b64(b'x' * 32)}",
    "HS512 with the right key": lambda c: jwt.encode(c, TEST_SECRET, algorithm="HS512"),
    "signed with another key": lambda c: jwt.encode(c, "another-key-that-is-long-enough-0123456789", "HS256"),
    "tampered payload": lambda c: ".".join([
        _resign(c).split(".")[0], _b64({**c, "sub": str(int(c["sub"]) - 1)}), _resign(c).split(".")[2]]),
    "expired": lambda c: _resign(c, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "not yet valid (nbf)": lambda c: _resign(c, nbf=int(time.time()) + 3600),
    "issued in the future": lambda c: _resign(c, iat=int(time.time()) + 3600, exp=int(time.time()) + 7200),
    "missing exp": lambda c: _resign(c, exp=None),
    "missing sub": lambda c: _resign(c, sub=None),
    "missing type": lambda c: _resign(c, type=None),
    "missing iss": lambda c: _resign(c, iss=None),
    "wrong iss": lambda c: _resign(c, iss="someone-else"),
    "sub of another type": lambda c: _resign(c, sub=int(c["sub"])),
    "kid header pointing elsewhere": lambda c: jwt.encode(c, "x" * 40, algorithm="HS256",
                                                          headers={"kid": "../../dev/null"}),
}


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_a_forged_access_token_is_401(client: AsyncTestClient, forgery: str) -> None:
    await register_over_http(client)  # a victim, whose id a tampered token names
    access = (await register_over_http(client))["tokens"]["access"]
    token = FORGERIES[forgery](_claims(access))
    response = await client.get(PROTECTED, headers=bearer(token))
    assert response.status_code == 401, (forgery, response.text)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_a_forged_refresh_token_is_401(client: AsyncTestClient, forgery: str) -> None:
    await register_over_http(client)
    refresh = (await register_over_http(client))["tokens"]["refresh"]
    token = FORGERIES[forgery](_claims(refresh))
    response = await client.post(REFRESH, json={"refresh": token})
    assert response.status_code == 401, (forgery, response.text)


async def test_the_genuine_tokens_work_so_the_refusals_above_mean_something(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client))["tokens"]
    assert (await client.get(PROTECTED, headers=bearer(tokens["access"]))).status_code == 200
    assert (await client.get(PROTECTED, headers=bearer(_resign(_claims(tokens["access"]))))).status_code == 200
    assert (await client.post(REFRESH, json={"refresh": tokens["refresh"]})).status_code == 200


async def test_a_refresh_token_is_not_an_access_token_and_the_reverse(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client))["tokens"]
    assert (await client.get(PROTECTED, headers=bearer(tokens["refresh"]))).status_code == 401
    assert (await client.post(REFRESH, json={"refresh": tokens["access"]})).status_code == 401
    assert (await client.post("/api/user/logout/", json={"refresh": tokens["access"]})).status_code == 401


@pytest.mark.parametrize("secret", ["", "short", "x" * 31, "é" * 15])
def test_a_secret_under_32_bytes_refuses_to_start_outside_development(secret: str) -> None:
    with pytest.raises(SettingsError, match="at least 32 bytes"):
        Settings.from_env({"HOSPITAL_ENV": "production", "HOSPITAL_SECRET_KEY": secret})


def test_a_32_byte_secret_starts() -> None:
    assert Settings.from_env({"HOSPITAL_ENV": "production", "HOSPITAL_SECRET_KEY": "k" * 32}).secret_key == "k" * 32
