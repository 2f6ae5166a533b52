"""Where the Alembic scripts are, and which revisions are their heads."""

from __future__ import annotations

from functools import cache
from pathlib import Path

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
