"""record versions: a version column on every table whose rows the use cases change

Checked by every UPDATE and DELETE of a record (the mapping's version_id_col), so that of two
requests changing one record, the one that read it before the other's change fails and is run
again instead of overwriting it (docs/deployment.md, "Concurrency"). Existing rows start at 1.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = (
    'users', 'user_profiles', 'patients', 'designations', 'specialisations', 'available_times', 'doctors',
    'services', 'contacts', 'appointments', 'reviews',
)


def upgrade() -> None:
    for table in VERSIONED:
        # A constant default: PostgreSQL fills existing rows without rewriting the table, and SQLite
        # adds the column in place.
        op.add_column(table, sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    for table in reversed(VERSIONED):
        # Not in batch mode: rebuilding the SQLite table would lose its triggers (0003).
        op.drop_column(table, 'version')
