"""`hospital serve` refuses unsafe or unusable production settings before it opens a port, with
a message that names the setting and says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.deployment.conftest import sqlite_pass_only
from tests.support.server_process import free_port, run_hospital, server_environment

pytestmark = [pytest.mark.slow, sqlite_pass_only]


@pytest.mark.parametrize(("setting", "value", "says"), [
    ("secret_key", "tiny-key-9", "HOSPITAL_SECRET_KEY must be at least 32 bytes"),
    ("cors_origins", "*", "HOSPITAL_CORS_ORIGINS='*' is refused in production"),
    ("trusted_proxies", "nginx", "HOSPITAL_TRUSTED_PROXIES: 'nginx' is not an IP address"),
])
def test_serve_refuses_to_start(tmp_path: Path, setting: str, value: str, says: str) -> None:
    environment = server_environment(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", **{setting: value})
    result = run_hospital(environment, "serve", "--port", str(free_port()), cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    assert "hospital: configuration error:" in result.stderr
    assert says in result.stderr
    if setting == "secret_key":
        assert value not in result.stderr  # a rejected secret is not echoed
