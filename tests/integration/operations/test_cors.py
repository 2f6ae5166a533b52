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


async def test_errors_are_answered_alike_with_and_without_cors(sql_container) -> None:
    """Without CORS, RequestContextMiddleware stands in for Litestar's exception layer; with CORS,
    that layer answers under the CORS middleware: the same error responses either way."""

    async def errors() -> list[tuple[int, bytes, dict[str, str]]]:
        async with AsyncTestClient(create_app(sql_container)) as client:
            bad_json = await client.post("/appointments/", content=b"{not json",
                                         headers={"Content-Type": "application/json"})
            answers = [await client.get("/doctors/999999/"), await client.get("/appointments/"), bad_json,
                       await client.get("/doctors/abc/")]
        return [(a.status_code, a.content, {k: v for k, v in a.headers.items() if k not in {"x-request-id", "date"}})
                for a in answers]

    without = await errors()
    sql_container.settings.override(replace(sql_container.settings(), cors_origins=(ALLOWED,)))
    with_cors = await errors()
    assert [status for status, _, _ in without] == [404, 401, 400, 404]
    assert with_cors == without
