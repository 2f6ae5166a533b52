"""The README's library example is examples/library.py, and it runs: against a fresh SQLite file,
from a folder of its own, with no HOSPITAL_* variables. The package is typed for its callers
(py.typed): mypy reports a caller's mistakes instead of treating hospital as Any."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[3]
EXAMPLE = REPOSITORY / "examples" / "library.py"

pytestmark = pytest.mark.slow


def _environment() -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("HOSPITAL_")}
    return {**environment, "PYTHONPATH": str(REPOSITORY / "src")}


def test_the_library_example_runs_against_a_fresh_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "fresh.sqlite3"
    result = subprocess.run([sys.executable, str(EXAMPLE), str(database)], cwd=tmp_path, env=_environment(),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "admin created the designation 'Cardiologist' (slug 'cardiologist')",
        "alice may not: You do not have permission to perform this action.",
        "alice's profile 2 belongs to alice",
        "0 doctors so far",
    ]
    assert database.exists()
    assert not (tmp_path / "hospital.sqlite3").exists()  # the settings given, not a default file here


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    caller = tmp_path / "caller.py"
    caller.write_text(source)
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(caller)],
                          cwd=tmp_path, env=_environment(), capture_output=True, text=True, timeout=300, check=False)


def test_mypy_reports_a_callers_mistakes(tmp_path: Path) -> None:
    result = _mypy(tmp_path, '''
from hospital.application.accounts import RegisterCommand
from hospital.bootstrap import actor_for, build_container


async def wrong() -> None:
    container = build_container()
    await actor_for(container, "7")
    RegisterCommand(username="a", email="b", password="c", confirm_pasword="c")
    registration = await container.register_user()(RegisterCommand("a", "b", "c", "c"))
    print(registration.user.nam)
''')
    assert result.returncode == 1, result.stdout
    assert 'Argument 2 to "actor_for" has incompatible type "str"; expected "int"' in result.stdout
    assert 'Unexpected keyword argument "confirm_pasword"' in result.stdout
    assert '"User" has no attribute "nam"' in result.stdout
    assert "py.typed" not in result.stdout
