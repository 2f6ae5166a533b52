"""Security headers on every response, unknown paths and wrong methods included (OWASP API8:2023, ASVS V14.4)."""

from __future__ import annotations

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.support.http import register_over_http

LEAKS = ("Traceback", "sqlalchemy", "SELECT ", "litestar", "File \"", "<html", "<!DOCTYPE")


def assert_hardened(response) -> None:
    assert response.headers.get("x-content-type-options") == "nosniff", (response.status_code, response.headers)
    assert response.headers.get("x-frame-options") == "DENY"
    assert response.headers.get("cache-control") == "no-store"
    for leak in LEAKS:
        assert leak.lower() not in response.text.lower(), response.text


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/no/such/path"),
    ("GET", "/doctors/not-a-number"),
    ("GET", "/doctors/99999999999999999999999"),
    ("DELETE", "/doctors/"),
    ("PATCH", "/api/user/login/"),
    ("POST", "/health/live"),
    ("GET", "/%00"),
    ("TRACE", "/doctors/"),
])
async def test_unmatched_and_refused_requests_carry_the_security_headers(
        client: AsyncTestClient, method: str, path: str) -> None:
    response = await client.request(method, path)
    assert response.status_code in {400, 404, 405}, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_hardened(response)


async def test_token_and_patient_responses_are_never_cached(client: AsyncTestClient) -> None:
    registered = await register_over_http(client)
    assert_hardened(await client.post("/api/user/login/", json={"username": registered["user"]["username"],
                                                               "password": "Correct-Horse-Battery-9"}))
    access = registered["tokens"]["access"]
    response = await client.get("/patients/", headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 200
    assert_hardened(response)


async def test_malformed_bodies_answer_without_framework_details(client: AsyncTestClient) -> None:
    for body in (b"{", b"\x00", b"[" * 5000, b'{"username": "\xff"}'):
        response = await client.post("/api/user/login/", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert_hardened(response)


async def test_options_lists_every_method_the_path_answers(client: AsyncTestClient) -> None:
    """The automatic OPTIONS answer must agree with the 405's Allow (both come from the merged route)."""
    routes = [route for route in client.app.routes if isinstance(route, HTTPRoute)]
    checked = 0
    for route in routes:
        if "{" in route.path and ":int}" not in route.path:
            continue
        path = route.path_format.replace("{", "").replace("}", "")
        for name in route.path_parameters:
            path = path.replace(name, "1")
        response = await client.options(path)
        if response.status_code != 204:
            continue
        assert set(response.headers["allow"].split(", ")) == set(route.methods), route.path
        assert_hardened(response)
        checked += 1
    assert checked > 10


async def test_cors_is_closed_by_default(client: AsyncTestClient) -> None:
    response = await client.get("/doctors/", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options("/doctors/", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
