"""Every response carries X-Request-ID: the caller's when it is sane, a new one otherwise. A new
one is opaque: 16 random bytes, so ids tell nothing of a worker's request count or the number of
workers."""

from __future__ import annotations

import base64
import concurrent.futures
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from litestar.testing import AsyncTestClient

from hospital.entrypoints.http.app import create_app
from hospital.settings import RateLimit
from tests.integration.deployment.conftest import migrated_sqlite
from tests.support.server_process import ServerProcess, server_environment, start_server

GENERATED = re.compile(r"^[A-Za-z0-9_-]{22}$")  # 16 bytes, url-safe base64 without padding
WORKERS = 2
REQUESTS = 300


async def test_the_callers_request_id_is_returned(client) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "edge-7f3a:1"})
    assert response.headers["x-request-id"] == "edge-7f3a:1"


async def test_a_request_id_is_made_when_none_is_sent_and_each_request_gets_its_own(client) -> None:
    first = (await client.get("/health/live")).headers["x-request-id"]
    second = (await client.get("/health/live")).headers["x-request-id"]
    assert GENERATED.match(first) and GENERATED.match(second)
    assert first != second


async def test_an_unsafe_or_oversized_request_id_is_replaced(client) -> None:
    for unsafe in ("has spaces", "quote\"d", "x" * 129, "<script>"):
        returned = (await client.get("/health/live", headers={"X-Request-ID": unsafe})).headers["x-request-id"]
        assert GENERATED.match(returned), unsafe


async def test_errors_and_unknown_paths_carry_the_id_too(client) -> None:
    for path in ("/no/such/path", "/api/user/profiles/me/"):
        response = await client.get(path, headers={"X-Request-ID": "err-1"})
        assert response.status_code in {401, 404}
        assert response.headers["x-request-id"] == "err-1"


async def test_a_throttled_request_carries_the_id(sql_container) -> None:
    settings = replace(sql_container.settings(), rate_limit_anon=RateLimit(1, 3600))
    sql_container.settings.override(settings)
    async with AsyncTestClient(create_app(sql_container)) as client:
        await client.get("/api/user/profiles/")
        throttled = await client.get("/api/user/profiles/", headers={"X-Request-ID": "slow-down"})
    assert throttled.status_code == 429
    assert throttled.headers["x-request-id"] == "slow-down"


# --- across the workers of a real server ----------------------------------------------------------

@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("request-ids")
    server = start_server(workdir, server_environment(workdir, migrated_sqlite(workdir)), workers=WORKERS)
    yield server
    server.stop()


def _fresh_connection_get(url: str) -> str:
    # A connection per request, so that the workers, which accept from one socket, share them.
    with httpx.Client(timeout=30) as client:
        return client.get(url).headers["x-request-id"]


def _common_prefix(first: str, second: str) -> int:
    shared = 0
    while shared < min(len(first), len(second)) and first[shared] == second[shared]:
        shared += 1
    return shared


def _as_number(request_id: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(request_id + "=="), "big")


@pytest.mark.slow
def test_ids_from_two_workers_are_unique_and_reveal_no_counter_or_worker(two_workers: ServerProcess) -> None:
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(_fresh_connection_get, [f"{two_workers.url}/health/live"] * REQUESTS))
    two_workers.stop()  # its complete log: which worker served which id
    access = [json.loads(line) for line in two_workers.logs().splitlines() if '"hospital.access"' in line]
    worker_of = {line["request_id"]: line["pid"] for line in access}
    by_worker: dict[int, list[str]] = {}
    for request_id in ids:
        by_worker.setdefault(worker_of[request_id], []).append(request_id)

    assert len(by_worker) == WORKERS, "the requests did not reach both workers"
    assert len(set(ids)) == REQUESTS
    # No prefix shared by a worker's ids (the old ids: 16 hex digits per process, then a counter).
    # Among 300 random ids, two sharing 7 characters has a probability of about 1e-8.
    ordered = sorted(ids)
    assert max(_common_prefix(a, b) for a, b in itertools.pairwise(ordered)) <= 6
    # No counter: a worker's successive ids are not close as numbers (random: |a - b| < 2**100
    # has a probability of 2**-27 a pair).
    for worker_ids in by_worker.values():
        numbers = [_as_number(request_id) for request_id in worker_ids]
        assert min(abs(a - b) for a, b in itertools.pairwise(numbers)) > 2 ** 100
    assert all(GENERATED.match(request_id) for request_id in ids)
