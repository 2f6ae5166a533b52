"""SIGTERM (what systemd, Kubernetes and `docker stop` send) lets requests in flight finish."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from tests.support.actors import PASSWORD
from tests.support.server_process import server_environment, start_server

pytestmark = pytest.mark.slow

IN_FLIGHT = 24


async def _register_all(base_url: str, when_all_are_sent) -> list[int]:
    sent = 0

    async def trace(event_name: str, _info: dict) -> None:
        # Signal only once every request is on the wire: then each is in the server's hands, and
        # with one password hash at a time most are still waiting for an answer.
        nonlocal sent
        if event_name == "http11.send_request_body.complete":
            sent += 1
            if sent == IN_FLIGHT:
                when_all_are_sent()

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        responses = await asyncio.gather(*(
            client.post("/api/user/register/", json={
                "username": f"inflight{n}", "email": f"inflight{n}@example.com", "password": PASSWORD,
                "confirm_password": PASSWORD,
            }, extensions={"trace": trace})
            for n in range(IN_FLIGHT)
        ))
    return [response.status_code for response in responses]


def test_requests_in_flight_at_sigterm_are_answered_and_the_process_exits_cleanly(tmp_path: Path,
                                                                                  sqlite_url: str) -> None:
    # One hash at a time: the registrations queue behind each other, so SIGTERM finds them in flight.
    server = start_server(tmp_path, server_environment(tmp_path, sqlite_url, password_hash_concurrency="1"))
    try:
        statuses = asyncio.run(_register_all(server.url, lambda: server.signal(signal.SIGTERM)))
        exit_code = server.process.wait(30)
    finally:
        server.stop()
    assert statuses == [201] * IN_FLIGHT
    # uvicorn re-raises the signal once it has shut down cleanly, so the exit status names it.
    assert exit_code in {0, -signal.SIGTERM}
    logs = server.logs()
    assert "Application shutdown complete" in logs
    assert logs.index("Shutting down") < logs.rindex('"hospital.access"')  # answered after the signal
