"""Overlap checks by end: indexes on (doctor_id, ends_at, starts_at) and (patient_id, ends_at,
starts_at) of occupying appointments, and SQLite's overlap triggers made to use them

An overlap check (the SQLite triggers, the busy intervals of a slot range) asks for the appointments
with ``starts_at < end AND ends_at > start``. Through the index on (doctor_id, starts_at) that is
every earlier appointment of the doctor, a scan that grows with the doctor's history; through one on
ends_at it is the appointments that end after ``start``: the future ones. SQLite's planner prefers
the (doctor_id, starts_at) index for its two-sided range (``IS NOT NULL`` gives it a lower bound), so
the triggers compare ``+other.starts_at``, which no index serves.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported, so this migration stays what it was whatever the package becomes.
OCCUPYING = "starts_at IS NOT NULL AND fhir_status IN ('booked', 'arrived', 'checked-in', 'fulfilled')"
OVERLAPS = (("ex_appointments_doctor_overlap", "doctor_id"), ("ex_appointments_patient_overlap", "patient_id"))


def _sqlite_triggers(start: str) -> list[str]:
    """0005's triggers, comparing ``start`` (``other.starts_at`` there, ``+other.starts_at`` here)."""
    statements = []
    for name, column in OVERLAPS:
        condition = (
            f"SELECT RAISE(ABORT, '{name}') WHERE NEW.starts_at IS NOT NULL AND NEW.fhir_status IN "  # noqa: S608
            "('booked', 'arrived', 'checked-in', 'fulfilled') AND EXISTS (SELECT 1 FROM appointments AS other "
            f"WHERE other.{column} = NEW.{column} AND other.id IS NOT NEW.id AND other.starts_at IS NOT NULL "
            "AND other.fhir_status IN ('booked', 'arrived', 'checked-in', 'fulfilled') "
            f"AND {start} < NEW.ends_at AND other.ends_at > NEW.starts_at)"
        )
        statements.append(f"CREATE TRIGGER {name}_on_insert BEFORE INSERT ON appointments BEGIN {condition}; END")
        statements.append(
            f"CREATE TRIGGER {name}_on_update BEFORE UPDATE OF {column}, starts_at, ends_at, fhir_status "
            f"ON appointments BEGIN {condition}; END")
    return statements


def _drop_sqlite_triggers() -> None:
    for name, _ in OVERLAPS:
        op.execute(f"DROP TRIGGER {name}_on_insert")
        op.execute(f"DROP TRIGGER {name}_on_update")


def upgrade() -> None:
    for _, column in OVERLAPS:
        op.create_index(f'ix_appointments_{column}_ends_at', 'appointments', [column, 'ends_at', 'starts_at'],
                        sqlite_where=sa.text(OCCUPYING), postgresql_where=sa.text(OCCUPYING))
    if op.get_bind().dialect.name == "sqlite":
        _drop_sqlite_triggers()
        for statement in _sqlite_triggers("+other.starts_at"):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _drop_sqlite_triggers()
        for statement in _sqlite_triggers("other.starts_at"):
            op.execute(statement)
    for _, column in OVERLAPS:
        op.drop_index(f'ix_appointments_{column}_ends_at', table_name='appointments')
