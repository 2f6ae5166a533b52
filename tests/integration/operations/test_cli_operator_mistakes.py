"""An operator's mistake gets one line that says what is wrong and what to do, never a traceback.

Each test runs the real `hospital` command in a process of its own, as an operator would.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.conftest import POSTGRES_URL
from tests.integration.deployment.conftest import sqlite_pass_only
from tests.support.actors import PASSWORD
from tests.support.postgres_databases import drop_database, recreate_database, scratch_database_url
from tests.support.server_process import free_port, hospital_command, run_hospital, server_environment

pytestmark = pytest.mark.slow
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="needs HOSPITAL_TEST_DATABASE_URL (PostgreSQL)")

SUPERUSER = ("createsuperuser", "--username", "root", "--email", "root@example.com", "--password", PASSWORD)
COMMANDS = {"serve": ("serve", "--port", "1"), "migrate": ("migrate",), "createsuperuser": SUPERUSER}


def run_each(environment: dict[str, str], cwd: Path,
             *commands: tuple[str, ...]) -> list[subprocess.CompletedProcess[str]]:
    """Run the commands at once (each one's start is seconds of imports), and wait for them all."""
    processes = [subprocess.Popen(hospital_command(*command), env=environment, cwd=cwd, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for command in commands]
    results = []
    try:
        for command, process in zip(commands, processes, strict=True):
            stdout, stderr = process.communicate(timeout=60)
            results.append(subprocess.CompletedProcess(command, process.returncode, stdout, stderr))
    finally:
        for process in processes:  # a command that did not refuse (a server that started) is stopped
            if process.poll() is None:
                process.kill()
                process.wait(10)
    return results


def one_line_refusal(result: subprocess.CompletedProcess[str], *says: str) -> str:
    """The command exited 2 with a single line on stderr that contains every one of ``says``."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for words in says:
        assert words in lines[0], lines[0]
    return lines[0]


@sqlite_pass_only
@pytest.mark.parametrize(("url", "says"), [
    ("notaurl", "'notaurl' is not a database URL"),
    ("postgresql://postgres@127.0.0.1:5432/hospital", "use 'postgresql+asyncpg://postgres@127.0.0.1:5432/hospital'"),
    ("postgres://postgres@127.0.0.1/hospital", "use 'postgresql+asyncpg://postgres@127.0.0.1/hospital' instead"),
    ("sqlite:///hospital.sqlite3", "use 'sqlite+aiosqlite:///hospital.sqlite3' instead"),
])
def test_a_database_url_that_cannot_work_is_refused(tmp_path: Path, url: str, says: str) -> None:
    for result in run_each(server_environment(tmp_path, url), tmp_path, *COMMANDS.values()):
        one_line_refusal(result, "HOSPITAL_DATABASE_URL", says)
    assert not any(tmp_path.glob("*.sqlite3")) and not (tmp_path / "media").exists()


@sqlite_pass_only
def test_a_database_server_that_is_not_there_is_refused(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/hospital"
    for result in run_each(server_environment(tmp_path, url), tmp_path, *COMMANDS.values()):
        one_line_refusal(result, f"cannot connect to PostgreSQL at 127.0.0.1:{port} (connection refused)",
                         "start the database server")


@sqlite_pass_only
def test_serving_or_creating_users_on_an_sqlite_file_that_was_never_migrated_is_refused(tmp_path: Path) -> None:
    environment = server_environment(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}")
    for result in run_each(environment, tmp_path, COMMANDS["serve"], COMMANDS["createsuperuser"]):
        one_line_refusal(result, "does not exist: run `hospital migrate` first")
    assert not (tmp_path / "new.sqlite3").exists()  # no empty file left behind


@sqlite_pass_only
def test_migrate_needs_no_secret_and_then_serving_checks_pass(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
    environment = server_environment(tmp_path, url)
    del environment["HOSPITAL_SECRET_KEY"]  # production, no secret: migrate signs no token

    migrated = run_hospital(environment, "migrate", cwd=tmp_path)

    assert migrated.returncode == 0, migrated.stderr
    assert "database migrated to head" in migrated.stdout
    refused = run_hospital(environment, *SUPERUSER, cwd=tmp_path)
    one_line_refusal(refused, "HOSPITAL_SECRET_KEY must be at least 32 bytes", "HOSPITAL_ENV=development")


@needs_postgres
def test_a_postgresql_database_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    url = scratch_database_url(POSTGRES_URL, "never_created")
    drop_database(POSTGRES_URL, url)
    for result in run_each(server_environment(tmp_path, url), tmp_path, *COMMANDS.values()):
        one_line_refusal(result, "does not exist on", "createdb", "then run `hospital migrate`")


@needs_postgres
def test_an_unmigrated_postgresql_database_is_refused_until_it_is_migrated(tmp_path: Path) -> None:
    url = scratch_database_url(POSTGRES_URL, "unmigrated")
    recreate_database(POSTGRES_URL, url)
    environment = server_environment(tmp_path, url)
    try:
        for result in run_each(environment, tmp_path, COMMANDS["serve"], COMMANDS["createsuperuser"]):
            one_line_refusal(result, "is not migrated: run `hospital migrate`")
        assert run_hospital(environment, "migrate", cwd=tmp_path).returncode == 0
        created = run_hospital(environment, *SUPERUSER, cwd=tmp_path)
        assert created.returncode == 0, created.stderr
    finally:
        drop_database(POSTGRES_URL, url)


@sqlite_pass_only
def test_a_bad_redis_url_stops_the_server_once_with_several_workers(tmp_path: Path) -> None:
    environment = server_environment(tmp_path, _migrated_sqlite(tmp_path), redis_url="notredis")
    started = time.monotonic()
    result = run_hospital(environment, "serve", "--port", str(free_port()), "--workers", "2", cwd=tmp_path,
                          timeout=60)
    one_line_refusal(result, "HOSPITAL_REDIS_URL: 'notredis' is not a Redis URL")
    assert time.monotonic() - started < 30


@sqlite_pass_only
def test_a_redis_that_does_not_answer_at_start_is_refused(tmp_path: Path) -> None:
    environment = server_environment(tmp_path, _migrated_sqlite(tmp_path),
                                     redis_url=f"redis://127.0.0.1:{free_port()}/0")
    result = run_hospital(environment, "serve", "--port", str(free_port()), "--workers", "2", cwd=tmp_path)
    one_line_refusal(result, "HOSPITAL_REDIS_URL: Redis does not answer at", "start it or correct the URL")


def _migrated_sqlite(folder: Path) -> str:
    url = f"sqlite+aiosqlite:///{folder / 'hospital.sqlite3'}"
    migrated = run_hospital(server_environment(folder, url), "migrate", cwd=folder)
    assert migrated.returncode == 0, migrated.stderr
    return url


@sqlite_pass_only
def test_end_of_input_at_a_prompt_is_one_line(tmp_path: Path) -> None:
    environment = server_environment(tmp_path, _migrated_sqlite(tmp_path))
    result = subprocess.run(hospital_command("createsuperuser"), env=environment, cwd=tmp_path, text=True,
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "EOFError" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("hospital createsuperuser: no more input")


@sqlite_pass_only
def test_a_closed_pipe_on_openapi_is_not_a_traceback(tmp_path: Path) -> None:
    environment = server_environment(tmp_path, "sqlite+aiosqlite://")
    process = subprocess.Popen(hospital_command("openapi", "--indent"), env=environment, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(100).startswith(b"{")  # `| head -c 100`, then the reader goes away
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait(60) == 0
        assert stderr == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@sqlite_pass_only
@pytest.mark.parametrize(("arguments", "settings", "says"), [
    (("serve", "--port", "eighty"), {}, "argument --port: invalid int value: 'eighty'"),
    (("migrate", "--no-such-flag"), {}, "unrecognized arguments: --no-such-flag"),
    (("migrate",), {"access_token_lifetime": "soon"}, "HOSPITAL_ACCESS_TOKEN_LIFETIME: expected an integer"),
    (("serve",), {"env": "staging"}, "HOSPITAL_ENV: expected production, development or test"),
])
def test_a_bad_flag_or_setting_is_one_line_and_debug_keeps_the_traceback(tmp_path: Path, arguments, settings,
                                                                         says: str) -> None:
    environment = server_environment(tmp_path, "sqlite+aiosqlite://", **settings)
    result = run_hospital(environment, *arguments, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert says in result.stderr.strip().splitlines()[-1]
    if settings:
        assert len(result.stderr.strip().splitlines()) == 1
        debugged = run_hospital(environment, "--debug", *arguments, cwd=tmp_path)
        assert debugged.returncode != 0
        assert "Traceback" in debugged.stderr and says in debugged.stderr
