"""What a serving worker keeps in memory: with one worker, `hospital serve`'s start-up checks run in
the process that then serves, so whatever they import stays for its whole life. Neither Alembic
(with Mako and Pygments: 9 MB, for the migrations' heads) nor redis-py (6 MB, with no Redis
configured) is needed to serve; both are imported where they are used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.deployment.conftest import sqlite_pass_only
from tests.support.server_process import run_hospital, server_environment

pytestmark = [pytest.mark.slow, sqlite_pass_only]

# The start-up checks of `hospital serve`, then the app its worker builds (as uvicorn's factory call).
SERVING_WORKER = """
import json, sys
from hospital.entrypoints.cli import _settings
from hospital.entrypoints.http.asgi import create_app
_settings(needs_database=True)
create_app()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_a_worker_without_redis_imports_neither_alembic_nor_redis(tmp_path: Path) -> None:
    environment = server_environment(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    assert run_hospital(environment, "migrate", cwd=tmp_path).returncode == 0
    result = subprocess.run([sys.executable, "-c", SERVING_WORKER], env=environment, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, check=True)
    packages = set(json.loads(result.stdout.splitlines()[-1]))
    assert "hospital" in packages
    assert packages.isdisjoint({"alembic", "mako", "pygments", "redis"})
