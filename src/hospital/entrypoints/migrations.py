"""Run the Alembic migrations from Python: the `hospital migrate` command and the tests use this.

The work is done in adapters/sqlalchemy/migration_scripts.py; library callers use
``hospital.bootstrap.migrate``.
"""

from __future__ import annotations

from hospital.bootstrap import alembic_config, downgrade, migrations_folder, upgrade

__all__ = ["alembic_config", "downgrade", "migrations_folder", "upgrade"]
