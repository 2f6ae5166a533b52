"""Table definitions, one module per area; all on one MetaData that Alembic migrates."""

from hospital.adapters.sqlalchemy.tables import accounts, audit, care, catalogue, scheduling, versions
from hospital.adapters.sqlalchemy.tables.metadata import metadata

__all__ = ["accounts", "audit", "care", "catalogue", "metadata", "scheduling", "versions"]
