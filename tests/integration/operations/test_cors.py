"""HOSPITAL_CORS_ORIGINS: listed origins may call the API from a browser; no others."""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import AsyncTestClient

from hospital.entrypoints.http.app import create_app

ALLOWED = "https://app.example.org"


def _preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"}


async def test_a_listed_origin_is_allowed(sql_container) -> None:
    sql_container.settings.override(replace(sql_container.settings(), cors_origins=(ALLOWED, "http://localhost:3000")))
    async with AsyncTestClient(create_app(sql_container)) as client:
        preflight = await client.options("/api/user/login/", headers=_preflight(ALLOWED))
        actual = await client.get("/health/live", headers={"Origin": ALLOWED})
    assert preflight.status_code in {200, 204}
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert actual.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in actual.headers  # bearer tokens, not cookies


async def test_an_unlisted_origin_gets_no_cors_headers(sql_container) -> None:
    sql_container.settings.override(replace(sql_container.settings(), cors_origins=(ALLOWED,)))
    async with AsyncTestClient(create_app(sql_container)) as client:
        preflight = await client.options("/api/user/login/", headers=_preflight("https://evil.example"))
        actual = await client.get("/health/live", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in actual.headers


async def test_cors_is_closed_when_no_origin_is_configured(client) -> None:
    actual = await client.get("/health/live", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in actual.headers
