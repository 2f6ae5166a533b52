"""Schemathesis against the API's own OpenAPI schema, with every check and the stateful links.

A real server (production settings, SQLite in a temporary folder) on a free loopback port; the
schemathesis command runs every phase (examples, coverage, fuzzing, stateful) with every check
(server errors, status code / content type / header / response schema conformance, negative data
rejection, positive data acceptance, ignored auth, unsupported methods, use after free, ...),
authenticated as a patient and as an admin. Bounded by --max-examples and a fixed seed, so a run
takes well under a minute and a failure reproduces. OWASP API8:2023 (misconfiguration), API4
(resource consumption), and the schema as a contract (ASVS V13.1.5).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.actors import PASSWORD
from tests.support.server_process import ServerProcess, run_hospital, server_environment, start_server

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 12
SEED = 20231107


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("fuzz")
    environment = server_environment(workdir, f"sqlite+aiosqlite:///{workdir / 'fuzz.sqlite3'}")
    for arguments in (["migrate"], ["createsuperuser", "--username", "root", "--email", "root@example.com",
                                    "--password", PASSWORD]):
        done = run_hospital(environment, *arguments, cwd=workdir)
        assert done.returncode == 0, done.stderr
    server = start_server(workdir, environment, name="fuzzed")
    try:
        yield server
    finally:
        server.stop()


def _access_token(server: ServerProcess, role: str) -> str:
    if role == "patient":
        body = {"username": "fuzzpatient", "email": "fuzz@example.com", "password": PASSWORD,
                "confirm_password": PASSWORD}
        response = httpx.post(f"{server.url}/api/user/register/", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()["tokens"]["access"]
    response = httpx.post(f"{server.url}/api/user/login/", json={"username": "root", "password": PASSWORD},
                          timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["access"]


@pytest.mark.slow
@pytest.mark.parametrize("role", ["patient", "admin"])
def test_the_api_keeps_every_promise_of_its_schema(server: ServerProcess, role: str, tmp_path: Path) -> None:
    token = _access_token(server, role)
    command = [
        str(Path(sys.executable).with_name("st")), "--no-color", "--config-file", str(CONFIG), "run",
        f"{server.url}/schema/openapi.json",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--generation-deterministic",
        "--workers", "1",
        "--header", f"Authorization: Bearer {token}",
        "--report-dir", str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=540, check=False, cwd=tmp_path)
    summary = result.stdout[-20_000:]
    assert result.returncode == 0, f"schemathesis found failures as {role}:\n{summary}\n{result.stderr[-3000:]}"
    # Every operation was reached, and the stateful phase ran (it is skipped when no links exist).
    assert "Tested: 76" in result.stdout, summary
    assert "✅ Stateful" in result.stdout, summary
