"""Two server processes behind one address share everything that must be shared: the database
(revoked refresh tokens) and, with HOSPITAL_REDIS_URL, the rate-limit counters."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.integration.deployment.conftest import forget_rate_limits
from tests.support.actors import PASSWORD, unique_username
from tests.support.server_process import ServerProcess, server_environment, start_servers

pytestmark = pytest.mark.slow

# Per hour, so that a window boundary in the middle of a test is all but impossible.
AUTH_LIMIT = 6


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory, module_database_url: str,
                redis_url: str) -> Iterator[list[ServerProcess]]:
    workdir = tmp_path_factory.mktemp("servers")
    environment = server_environment(workdir, module_database_url, redis_url=redis_url,
                                     rate_limit_auth=f"{AUTH_LIMIT}/hour")
    servers = start_servers(workdir, ("first", environment), ("second", environment))
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture(autouse=True)
def fresh_counters(redis_url: str) -> None:
    forget_rate_limits(redis_url)


def _register(server: ServerProcess, username: str) -> dict:
    response = httpx.post(f"{server.url}/api/user/register/", timeout=30, json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD,
        "confirm_password": PASSWORD,
    })
    assert response.status_code == 201, response.text
    return response.json()


def _login_statuses(servers: list[ServerProcess], attempts: int) -> list[int]:
    """Wrong-password logins, alternating between the servers."""
    statuses = []
    for _, server in zip(range(attempts), itertools.cycle(servers), strict=False):
        response = httpx.post(f"{server.url}/api/user/login/", json={"username": "nobody", "password": "wrong"},
                              timeout=30)
        statuses.append(response.status_code)
    return statuses


def test_a_refresh_token_revoked_through_one_server_is_refused_by_the_other(two_servers) -> None:
    first, second = two_servers
    tokens = _register(first, unique_username("shared"))["tokens"]
    # Both servers accept the token before it is revoked.
    assert httpx.post(f"{second.url}/api/user/token/refresh/", json={"refresh": tokens["refresh"]}).status_code == 200

    logout = httpx.post(f"{first.url}/api/user/logout/", json={"refresh": tokens["refresh"]},
                        headers={"Authorization": f"Bearer {tokens['access']}"})
    assert logout.status_code == 200, logout.text

    refused = httpx.post(f"{second.url}/api/user/token/refresh/", json={"refresh": tokens["refresh"]})
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Token is blacklisted"


def test_login_attempts_spread_over_both_servers_hit_one_limit(two_servers, redis_url) -> None:
    statuses = _login_statuses(two_servers, AUTH_LIMIT + 4)
    assert statuses[:AUTH_LIMIT] == [401] * AUTH_LIMIT
    assert statuses[AUTH_LIMIT:] == [429] * 4  # refused by both servers, not only the busier one


# Last in the module: it stops the servers to read their complete logs.
def test_no_secret_reaches_the_logs_and_every_request_is_logged_with_its_id(two_servers) -> None:
    first, second = two_servers
    username = unique_username("quiet")
    tokens = _register(first, username)["tokens"]
    refreshed = httpx.post(f"{second.url}/api/user/token/refresh/", json={"refresh": tokens["refresh"]},
                           headers={"X-Request-ID": "trace-me-1"})
    assert refreshed.headers["x-request-id"] == "trace-me-1"
    httpx.post(f"{first.url}/api/user/login/?password={PASSWORD}", json={"username": username, "password": PASSWORD})
    httpx.get(f"{second.url}/api/user/profiles/me/", headers={"Authorization": f"Bearer {tokens['access']}"})
    for server in two_servers:
        server.stop()

    logs = first.logs() + second.logs()
    for secret in (PASSWORD, TEST_SECRET, tokens["access"], tokens["refresh"], refreshed.json()["access"], "$argon2"):
        assert secret not in logs
    lines = [json.loads(line) for line in logs.splitlines() if line.strip()]  # every line is JSON
    requests = [line for line in lines if line["logger"] == "hospital.access"]
    assert len(requests) >= 4
    assert all(line["request_id"] and line["status"] for line in requests)
    assert {"method": "POST", "path": "/api/user/token/refresh/", "status": 200, "request_id": "trace-me-1"}.items() \
        <= next(line for line in requests if line["request_id"] == "trace-me-1").items()
