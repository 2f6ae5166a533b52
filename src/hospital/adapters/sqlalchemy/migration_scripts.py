"""Where the Alembic scripts are, which revisions are their heads, and running them from Python."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

import hospital


def migrations_folder() -> Path:
    package = Path(hospital.__file__).resolve().parent
    # Installed as a wheel the scripts sit in the package; in a checkout, at the repository root.
    for candidate in (package / "migrations", package.parents[1] / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("the Alembic migrations folder was not found next to the hospital package")


@cache
def head_revisions(folder: Path | None = None) -> frozenset[str]:
    """The revisions no other script revises, as Alembic's ``ScriptDirectory.get_heads()`` finds them.

    Read from each script's ``revision`` and ``down_revision`` literals, without importing Alembic
    or the scripts (which import Alembic): the start-up check and the readiness probe run in the
    serving worker, and Alembic with Mako and Pygments would stay there for its whole life (9 MB).
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in sorted((folder or migrations_folder()).joinpath("versions").glob("*.py")):
        values = _literals(script, ("revision", "down_revision"))
        if "revision" not in values:
            continue  # not a migration script: `hospital migrate` (Alembic) refuses it by name
        revisions.add(str(values["revision"]))
        down = values.get("down_revision")
        revised.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - revised)


def _literals(script: Path, names: tuple[str, ...]) -> dict[str, object]:
    """The literal values assigned to ``names`` at the top level of ``script``."""
    values: dict[str, object] = {}
    for statement in ast.parse(script.read_text(encoding="utf-8"), str(script)).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in names:
            values[target.id] = ast.literal_eval(value)
    return values


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    config.attributes["database_url"] = database_url
    return config


def _run(operation: Callable[..., None], *args: object) -> None:
    # Alembic's env.py starts its own event loop; from inside a running loop (an async test,
    # an application hook) it must run in a thread of its own.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        operation(*args)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(operation, *args).result()


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    _run(command.upgrade, alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    from alembic import command

    _run(command.downgrade, alembic_config(database_url), revision)
