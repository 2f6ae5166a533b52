"""slot_source_versions: a counter per doctor, moved by triggers on every write to what that doctor's
slots are made from, so a worker may keep a doctor's schedule and check it is current in the INSERT
of a booking (adapters/sqlalchemy/appointments.py) instead of reading it again

What a slot is made from: the schedule (doctor_schedules), its rules (schedule_rules), the date
exceptions (schedule_exceptions), the times the doctor offers (doctor_available_times) and those
times' windows (available_times). A row is created at the doctor's first such write and never
deleted (a deleted doctor's counter stays: an id used again only ever counts up). No row reads as 0.

Both databases: plain row triggers; the counter's row is locked by the writing transaction until it
ends (PostgreSQL), which serialises two edits of one doctor's schedule and nothing else (bookings
only read it).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported, so this migration stays what it was whatever the package becomes.
# Tables with a doctor_id column: every INSERT, UPDATE and DELETE moves that doctor's counter.
DOCTOR_ROWS = ('doctor_schedules', 'schedule_rules', 'schedule_exceptions', 'doctor_available_times')
_COUNT_UP = " ON CONFLICT (doctor_id) DO UPDATE SET version = slot_source_versions.version + 1"


def _bump(doctor: str) -> str:
    return f"INSERT INTO slot_source_versions (doctor_id, version) VALUES ({doctor}, 1){_COUNT_UP}"  # noqa: S608


def _bump_offering(time_id: str) -> str:
    """Every doctor offering the available time (``WHERE``: SQLite's upsert after a SELECT needs one)."""
    return ("INSERT INTO slot_source_versions (doctor_id, version) SELECT doctor_id, 1 "  # noqa: S608
            f"FROM doctor_available_times WHERE available_time_id = {time_id} ORDER BY doctor_id{_COUNT_UP}")


def _trigger(table: str, event: str) -> str:
    return f"{table}_{event.split()[0].lower()}_moves_slot_source_version"


# available_times: a window changed; deleted (before the cascade removes its links, so its doctors are found).
TIME_EVENTS = (('AFTER', 'UPDATE OF window_start, window_end', 'NEW.id'), ('BEFORE', 'DELETE', 'OLD.id'))


def create_statements(dialect: str) -> list[str]:
    if dialect == 'postgresql':
        statements = [
            "CREATE FUNCTION bump_slot_source_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {_bump('OLD.doctor_id')}; END IF; "
            f"IF TG_OP <> 'DELETE' THEN {_bump('NEW.doctor_id')}; END IF; "
            "RETURN NULL; END $$",
            "CREATE FUNCTION bump_slot_source_versions_of_time() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'DELETE' THEN {_bump_offering('OLD.id')}; RETURN OLD; END IF; "
            f"{_bump_offering('NEW.id')}; RETURN NULL; END $$",
        ]
        statements += [
            f"CREATE TRIGGER {_trigger(table, event)} AFTER {event} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bump_slot_source_version()"
            for table in DOCTOR_ROWS for event in ('INSERT', 'UPDATE', 'DELETE')
        ]
        statements += [
            f"CREATE TRIGGER {_trigger('available_times', event)} {when} {event} ON available_times "
            "FOR EACH ROW EXECUTE FUNCTION bump_slot_source_versions_of_time()"
            for when, event, _ in TIME_EVENTS
        ]
        return statements
    statements = []
    for table in DOCTOR_ROWS:
        statements += [
            f"CREATE TRIGGER {_trigger(table, 'INSERT')} AFTER INSERT ON {table} FOR EACH ROW "
            f"BEGIN {_bump('NEW.doctor_id')}; END",
            f"CREATE TRIGGER {_trigger(table, 'UPDATE')} AFTER UPDATE ON {table} FOR EACH ROW "
            f"BEGIN {_bump('OLD.doctor_id')}; {_bump('NEW.doctor_id')}; END",
            f"CREATE TRIGGER {_trigger(table, 'DELETE')} AFTER DELETE ON {table} FOR EACH ROW "
            f"BEGIN {_bump('OLD.doctor_id')}; END",
        ]
    statements += [
        f"CREATE TRIGGER {_trigger('available_times', event)} {when} {event} ON available_times FOR EACH ROW "
        f"BEGIN {_bump_offering(time_id)}; END"
        for when, event, time_id in TIME_EVENTS
    ]
    return statements


def drop_statements(dialect: str) -> list[str]:
    on = dialect == 'postgresql'
    statements = [
        f"DROP TRIGGER {_trigger(table, event)}" + (f" ON {table}" if on else '')
        for table in DOCTOR_ROWS for event in ('INSERT', 'UPDATE', 'DELETE')
    ]
    statements += [
        f"DROP TRIGGER {_trigger('available_times', event)}" + (" ON available_times" if on else '')
        for _, event, _ in TIME_EVENTS
    ]
    if on:
        statements += ["DROP FUNCTION bump_slot_source_version()", "DROP FUNCTION bump_slot_source_versions_of_time()"]
    return statements


def upgrade() -> None:
    op.create_table('slot_source_versions',
    sa.Column('doctor_id', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('doctor_id', name=op.f('pk_slot_source_versions'))
    )
    for statement in create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('slot_source_versions')
