"""Table definitions, one module per area; all on one MetaData that Alembic migrates."""

from hospital.adapters.sqlalchemy.tables import accounts, care, catalogue, scheduling, versions
from hospital.adapters.sqlalchemy.tables.metadata import metadata

__all__ = ["accounts", "care", "catalogue", "metadata", "scheduling", "versions"]
