"""Where the Alembic scripts are, which revisions are their heads, and running them from Python."""

from __future__ import annotations

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
    from alembic.script import ScriptDirectory  # only for the readiness probe: keep start-up quick

    return frozenset(ScriptDirectory(str(folder or migrations_folder())).get_heads())


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
