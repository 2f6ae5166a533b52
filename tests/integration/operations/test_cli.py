"""The `hospital` command: createsuperuser, openapi, and refusing unsafe settings."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hospital.application.accounts import LogInCommand
from hospital.bootstrap import build_container, shutdown
from hospital.entrypoints.cli import main
from hospital.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.actors import PASSWORD

SOURCE = Path(__file__).resolve().parents[3] / "src"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Settings:
    """HOSPITAL_* variables for the test database, as a deployment would set them."""
    for name in [name for name in os.environ if name.startswith("HOSPITAL_") and name != "HOSPITAL_TEST_DATABASE_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOSPITAL_ENV", "test")
    monkeypatch.setenv("HOSPITAL_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("HOSPITAL_DATABASE_URL", database_url)
    monkeypatch.setenv("HOSPITAL_MEDIA_ROOT", str(tmp_path / "media"))
    monkeypatch.chdir(tmp_path)
    return Settings.from_env()


async def run(*argv: str) -> int:
    # The command runs its own event loop (asyncio.run), so it needs a thread without one.
    return await asyncio.to_thread(main, list(argv))


async def test_createsuperuser_makes_an_admin_who_can_log_in(environment: Settings, capsys) -> None:
    code = await run("createsuperuser", "--username", "root", "--email", "root@example.com", "--password", PASSWORD)

    assert code == 0
    assert "Superuser 'root' created" in capsys.readouterr().out
    container = build_container(environment)  # the real argon2 hasher, as the command used
    try:
        tokens = await container.log_in()(LogInCommand(username="root", password=PASSWORD))
        actor = await container.identify_actor()(tokens.access)
    finally:
        await shutdown(container)
    assert actor.is_admin and actor.is_patient


async def test_createsuperuser_refuses_a_weak_password_or_a_taken_name(environment: Settings, capsys) -> None:
    email = "root@example.com"
    assert await run("createsuperuser", "--username", "root", "--email", email, "--password", "password") == 1
    assert "password: This password is too common." in capsys.readouterr().err

    assert await run("createsuperuser", "--username", "root", "--email", "", "--password", PASSWORD) == 1
    assert capsys.readouterr().err == "Error: email: This field may not be blank.\n"

    assert await run("createsuperuser", "--username", "root", "--email", email, "--password", PASSWORD) == 0
    assert await run("createsuperuser", "--username", "ROOT", "--email", email, "--password", PASSWORD) == 1
    assert "username: A user with that username already exists." in capsys.readouterr().err


async def test_createsuperuser_checks_the_username_before_asking_for_passwords(environment: Settings, monkeypatch,
                                                                               capsys) -> None:
    assert await run("createsuperuser", "--username", "taken", "--email", "taken@example.com",
                     "--password", PASSWORD) == 0
    asked: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or PASSWORD)
    for username in ("   ", "not a name!", "TAKEN"):
        monkeypatch.setattr("builtins.input", lambda prompt="", answer=username: answer)
        assert await run("createsuperuser", "--email", "someone@example.com") == 1
    errors = capsys.readouterr().err
    assert "username: This field may not be blank." in errors
    assert "username: Enter a valid username." in errors
    assert "username: A user with that username already exists." in errors
    assert asked == []


async def test_createsuperuser_asks_for_what_is_not_given(environment: Settings, monkeypatch, capsys) -> None:
    answers = ["asked", "asked@example.com"] * 2
    passwords = [PASSWORD, PASSWORD + "typo", PASSWORD, PASSWORD]
    monkeypatch.setattr("builtins.input", lambda prompt="": answers.pop(0))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": passwords.pop(0))

    assert await run("createsuperuser") == 1
    assert "didn't match" in capsys.readouterr().err

    assert await run("createsuperuser") == 0
    assert "Superuser 'asked' created" in capsys.readouterr().out
    assert answers == passwords == []


def test_openapi_prints_the_schema_as_json_and_leaves_no_files(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.chdir(tmp_path)

    assert main(["openapi"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert document["openapi"].startswith("3.")
    assert any(path.startswith("/api/user/register") for path in document["paths"])
    assert list(tmp_path.iterdir()) == []


def test_openapi_indent_is_still_the_same_json(capsys) -> None:
    main(["openapi"])
    compact = json.loads(capsys.readouterr().out)
    main(["openapi", "--indent"])
    indented = capsys.readouterr().out
    assert "\n  " in indented and json.loads(indented) == compact


def cli_process(*argv: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hospital.entrypoints.cli", *argv], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)


def production_env(secret: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("HOSPITAL_")}
    return {**env, "PYTHONPATH": str(SOURCE), "HOSPITAL_ENV": "production", "HOSPITAL_SECRET_KEY": secret}


@pytest.mark.slow
@pytest.mark.parametrize("secret", ["", "too-short", "x" * 31])
def test_production_refuses_to_start_with_a_short_secret(tmp_path: Path, secret: str) -> None:
    result = cli_process("serve", "--port", "1", env=production_env(secret), cwd=tmp_path)

    assert result.returncode == 2
    assert "HOSPITAL_SECRET_KEY must be at least 32 bytes" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_every_command_that_signs_tokens_refuses_a_short_secret_and_migrate_needs_none(
        tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith("HOSPITAL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOSPITAL_ENV", "production")
    monkeypatch.setenv("HOSPITAL_SECRET_KEY", "short")

    assert main(["migrate"]) == 0
    assert main(["createsuperuser", "--username", "u", "--email", "", "--password", PASSWORD]) == 2
    assert main(["seed-demo"]) == 2
    assert capsys.readouterr().err.count("configuration error: HOSPITAL_SECRET_KEY") == 2
