"""data_versions, moved by triggers on every write a cached doctor page depends on

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The triggers that move data_versions (adapters/sqlalchemy/tables/versions.py). Written out here,
# not imported, so this migration stays what it was whatever the package becomes.
# PostgreSQL: constraint triggers deferred to commit, so the counter's row is locked only while the
# writing transaction commits (two admins editing doctors at once cannot deadlock on it). SQLite
# has one writer at a time: plain row triggers.

# (table, events): every write that changes what a doctor is shown as.
DOCTOR_SOURCES = (
    ("doctors", ("INSERT", "UPDATE", "DELETE")),
    ("doctor_designations", ("INSERT", "UPDATE", "DELETE")),
    ("doctor_specialisations", ("INSERT", "UPDATE", "DELETE")),
    ("doctor_available_times", ("INSERT", "UPDATE", "DELETE")),
    ("designations", ("UPDATE", "DELETE")),
    ("specialisations", ("UPDATE", "DELETE")),
    ("available_times", ("DELETE",)),
    ("users", ("UPDATE OF username, first_name, last_name", "DELETE")),
)

_BUMP = ("INSERT INTO data_versions (name, version) VALUES ('doctors', 1) "
         "ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1")
_FUNCTION = "bump_doctors_version"


def _name(table: str, event: str) -> str:
    return f"{table}_{event.split()[0].lower()}_moves_doctors_version"


def create_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        statements = [
            f"CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_BUMP}; RETURN NULL; END $$"
        ]
        for table, events in DOCTOR_SOURCES:
            for event in events:
                statements.append(
                    f"CREATE CONSTRAINT TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {_FUNCTION}()"
                )
        return statements
    return [
        f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} FOR EACH ROW BEGIN {_BUMP}; END"
        for table, events in DOCTOR_SOURCES for event in events
    ]


def drop_statements(dialect: str) -> list[str]:
    statements = [
        f"DROP TRIGGER {_name(table, event)}" + (f" ON {table}" if dialect == "postgresql" else "")
        for table, events in DOCTOR_SOURCES for event in events
    ]
    if dialect == "postgresql":
        statements.append(f"DROP FUNCTION {_FUNCTION}()")
    return statements


def upgrade() -> None:
    op.create_table('data_versions',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_versions'))
    )
    for statement in create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('data_versions')
