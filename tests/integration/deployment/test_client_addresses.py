"""Rate limits key on the peer address; X-Forwarded-For counts only from a trusted proxy.

Two servers with in-process counters (no Redis): one trusts no proxy, one trusts 127.0.0.1
(standing in for nginx on the same host).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.actors import PASSWORD, unique_username
from tests.support.server_process import (
    ServerProcess,
    run_hospital,
    server_environment,
    start_server,
    start_servers,
)

pytestmark = pytest.mark.slow

# Per hour, so that a window boundary in the middle of a test is all but impossible.
AUTH_LIMIT = 3
ANON_LIMIT = 4
WRONG_LOGIN = {"username": "nobody", "password": "wrong"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> Iterator[dict[str, ServerProcess]]:
    workdir = tmp_path_factory.mktemp("servers")
    limits = {"rate_limit_auth": f"{AUTH_LIMIT}/hour", "rate_limit_anon": f"{ANON_LIMIT}/hour"}
    direct, behind_proxy = start_servers(
        workdir,
        ("direct", server_environment(workdir, module_database_url, **limits)),
        ("behind-proxy", server_environment(workdir, module_database_url, trusted_proxies="127.0.0.1", **limits)),
    )
    yield {"direct": direct, "behind_proxy": behind_proxy}
    direct.stop()
    behind_proxy.stop()


def _login(server: ServerProcess, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return httpx.post(f"{server.url}/api/user/login/", json=WRONG_LOGIN, headers=headers, timeout=30).status_code


def test_a_client_cannot_dodge_the_limit_by_sending_x_forwarded_for(servers) -> None:
    direct = servers["direct"]
    statuses = [_login(direct, forwarded_for=f"198.51.100.{n}") for n in range(AUTH_LIMIT + 2)]
    assert statuses == [401] * AUTH_LIMIT + [429, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(servers) -> None:
    proxied = servers["behind_proxy"]
    first_client = [_login(proxied, forwarded_for="203.0.113.7") for _ in range(AUTH_LIMIT + 1)]
    # nginx appends the address it saw; whatever the client wrote before it is not believed.
    second_client = _login(proxied, forwarded_for="203.0.113.7, 203.0.113.8")
    assert first_client == [401] * AUTH_LIMIT + [429]
    assert second_client == 401

    def logged_clients() -> set[str]:
        return {json.loads(line).get("client") for line in proxied.logs().splitlines() if '"hospital.access"' in line}

    # The access line is written after the response is sent: give the server a moment to flush it.
    deadline = time.monotonic() + 5
    while not {"203.0.113.7", "203.0.113.8"} <= logged_clients() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert {"203.0.113.7", "203.0.113.8"} <= logged_clients()


def test_without_redis_each_process_counts_alone(servers) -> None:
    """Why several workers need HOSPITAL_REDIS_URL: traffic spread over two processes with their
    own counters passes twice the limit (the Redis-backed pair in test_shared_state does not)."""
    direct = servers["direct"]
    other = start_server(direct.log_path.parent, direct.environment, name="other")
    try:
        statuses = [
            httpx.get(f"{server.url}/api/user/profiles/", timeout=30).status_code
            for _, server in zip(range(2 * ANON_LIMIT + 2), itertools.cycle([direct, other]), strict=False)
        ]
    finally:
        other.stop()
    assert statuses == [401] * (2 * ANON_LIMIT) + [429, 429]


def _register(server: ServerProcess) -> None:
    username = unique_username("linked")
    response = httpx.post(f"{server.url}/api/user/register/", timeout=30, json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD, "confirm_password": PASSWORD,
    }, headers={"X-Forwarded-For": f"192.0.2.{len(username)}"})
    assert response.status_code == 201, response.text


def test_links_use_the_scheme_the_trusted_proxy_reports_and_no_one_else_can_set_it(servers) -> None:
    direct, proxied = servers["direct"], servers["behind_proxy"]
    admin = unique_username("admin")
    created = run_hospital(direct.environment, "createsuperuser", "--username", admin, "--email", "a@example.com",
                           "--password", PASSWORD, cwd=direct.log_path.parent)
    assert created.returncode == 0, created.stderr
    _register(proxied)
    _register(proxied)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    login = httpx.post(f"{proxied.url}/api/user/login/", json={"username": admin, "password": PASSWORD},
                       headers=headers, timeout=30)
    assert login.status_code == 200, login.text
    # The same token works on both: same database, same signing key.
    authorized = {**headers, "Authorization": f"Bearer {login.json()['access']}"}
    links = {name: httpx.get(f"{server.url}/api/user/profiles/?limits=1", headers=authorized).json()["next"]
             for name, server in {"direct": direct, "proxied": proxied}.items()}
    assert links["proxied"].startswith("https://")
    assert links["direct"].startswith("http://")
