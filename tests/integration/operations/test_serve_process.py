"""`hospital serve` as a real process: it starts, answers over real HTTP, and stops."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hospital.entrypoints.migrations import upgrade
from tests.conftest import TEST_SECRET
from tests.support.actors import PASSWORD

SOURCE = Path(__file__).resolve().parents[3] / "src"
# A few seconds normally; generous so a loaded machine (CI, parallel runs) does not fail it.
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(process: subprocess.Popen, base_url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}: {process.stderr.read()}")
        try:
            httpx.get(f"{base_url}/schema/openapi.json", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"the server did not answer within {STARTUP_SECONDS} s")


@pytest.mark.slow
def test_serve_registers_and_logs_in_over_real_http(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'served.sqlite3'}"
    upgrade(database_url)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {name: value for name, value in os.environ.items() if not name.startswith("HOSPITAL_")}
    env.update({"PYTHONPATH": str(SOURCE), "HOSPITAL_ENV": "test", "HOSPITAL_SECRET_KEY": TEST_SECRET,
                "HOSPITAL_DATABASE_URL": database_url, "HOSPITAL_MEDIA_ROOT": str(tmp_path / "media")})
    process = subprocess.Popen(
        [sys.executable, "-m", "hospital.entrypoints.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_until_answering(process, base_url)
        with httpx.Client(base_url=base_url, timeout=10) as http:
            registered = http.post("/api/user/register/", json={
                "username": "served", "email": "served@example.com", "password": PASSWORD,
                "confirm_password": PASSWORD,
            })
            assert registered.status_code == 201, registered.text
            # a form body, as browsers and the original's clients send
            login = http.post("/api/user/login/", data={"username": "served", "password": PASSWORD})
            assert login.status_code == 200, login.text
            me = http.get("/api/user/profiles/me/", headers={"Authorization": f"Bearer {login.json()['access']}"})
            assert me.status_code == 200 and me.json()["user"]["username"] == "served"
            assert me.headers["x-content-type-options"] == "nosniff"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode in (0, -15)
    # the password was hashed with the real argon2id hasher, not the tests' fast one
    with sqlite3.connect(tmp_path / "served.sqlite3") as connection:
        (password_hash,) = connection.execute("SELECT password_hash FROM users WHERE username = 'served'").fetchone()
    assert password_hash.startswith("$argon2id$")
