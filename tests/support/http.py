"""Speaking to the API in HTTP tests: register, log in, bearer headers."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.support.actors import PASSWORD, unique_username


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register_over_http(client: AsyncTestClient, username: str | None = None, **fields: str) -> dict:
    """Register through the API; returns the response body (message, tokens, user)."""
    username = username or unique_username()
    body = {
        "username": username, "email": f"{username}@example.com", "password": PASSWORD,
        "confirm_password": PASSWORD, **fields,
    }
    response = await client.post("/api/user/register/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def login_over_http(client: AsyncTestClient, username: str, password: str = PASSWORD) -> dict:
    response = await client.post("/api/user/login/", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()
