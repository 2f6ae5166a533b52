"""Run the Alembic migrations from Python: the `hospital migrate` command and the tests use this."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from alembic import command
from alembic.config import Config

from hospital.bootstrap import migrations_folder


def alembic_config(database_url: str) -> Config:
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
    _run(command.upgrade, alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    _run(command.downgrade, alembic_config(database_url), revision)
