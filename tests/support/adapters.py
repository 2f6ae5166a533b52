"""A container on either adapter, for contract tests that must pass on both the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from hospital.bootstrap import Container, in_memory_container
from tests.conftest import make_settings

ADAPTERS = ["memory", "sqlalchemy"]


@pytest.fixture(params=ADAPTERS)
def any_container(request: pytest.FixtureRequest, tmp_path: Path) -> Container:
    """The in-memory container, or the SQLAlchemy one on the test database (SQLite or PostgreSQL).

    Synchronous on purpose: an async fixture cannot ask for another async fixture by name.
    """
    if request.param == "memory":
        return in_memory_container(make_settings(tmp_path))
    return request.getfixturevalue("sql_container")
