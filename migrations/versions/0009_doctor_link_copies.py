"""doctors carry copies of their link tables' ids, kept by triggers: a page of doctors is one range read

Each doctor's designation, specialisation and available time ids, as a JSON array text in id order
(``[3,5]``), on its own row. The link tables stay the source of every write and filter; the copies
are only read (adapters/sqlalchemy/doctor_reads.py). Triggers on the three link tables recompute a
doctor's copy after every INSERT, UPDATE and DELETE of its links, whoever writes them: the
application, a cascade (a designation deleted removes its links), an admin's SQL shell.

PostgreSQL: the trigger first locks the doctor's row, then recomputes in a statement of its own.
Under READ COMMITTED that statement's snapshot is taken once the lock is held, so it sees the links
of every transaction that changed this doctor's copy before (they held the lock until they
committed); a plain UPDATE would recompute from a snapshot taken before it waited, and lose the
other transaction's link. Under REPEATABLE READ the lock raises a serialization failure instead.
SQLite has one writer at a time: plain row triggers.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported, so this migration stays what it was whatever the package becomes.
# (link table, its linked id column, the copy's column on doctors)
LINKS = (
    ('doctor_designations', 'designation_id', 'linked_designation_ids'),
    ('doctor_specialisations', 'specialisation_id', 'linked_specialisation_ids'),
    ('doctor_available_times', 'available_time_id', 'linked_available_time_ids'),
)


def _ids(dialect: str, table: str, column: str, doctor: str) -> str:
    """The JSON array text of ``doctor``'s linked ids, in id order, ``[]`` for none."""
    if dialect == 'postgresql':
        return (f"(SELECT '[' || coalesce(string_agg({column}::text, ',' ORDER BY {column}), '') || ']' "  # noqa: S608
                f"FROM {table} WHERE doctor_id = {doctor})")
    return (f"(SELECT json_group_array({column}) FROM "  # noqa: S608 - names written here
            f"(SELECT {column} FROM {table} WHERE doctor_id = {doctor} ORDER BY {column}))")


def _copied(dialect: str, table: str, column: str, copy: str, doctor: str) -> str:
    return f"UPDATE doctors SET {copy} = {_ids(dialect, table, column, doctor)} WHERE id = {doctor}"  # noqa: S608


def _function(table: str) -> str:
    return f"{table}_copy_to_doctors"


def _trigger(table: str, event: str) -> str:
    return f"{table}_{event.lower()}_copies_to_doctors"


def create_statements(dialect: str) -> list[str]:
    statements = []
    for table, column, copy in LINKS:
        if dialect == 'postgresql':
            def recompute(doctor: str, table=table, column=column, copy=copy) -> str:
                return (f"PERFORM 1 FROM doctors WHERE id = {doctor} FOR UPDATE; "
                        f"{_copied(dialect, table, column, copy, doctor)};")
            statements.append(
                f"CREATE FUNCTION {_function(table)}() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$ BEGIN "
                f"IF TG_OP <> 'INSERT' THEN {recompute('OLD.doctor_id')} END IF; "
                f"IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.doctor_id IS DISTINCT FROM OLD.doctor_id) "
                f"THEN {recompute('NEW.doctor_id')} END IF; "
                f"RETURN NULL; END $$"
            )
            statements += [
                f"CREATE TRIGGER {_trigger(table, event)} AFTER {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {_function(table)}()"
                for event in ('INSERT', 'UPDATE', 'DELETE')
            ]
        else:
            statements += [
                f"CREATE TRIGGER {_trigger(table, 'INSERT')} AFTER INSERT ON {table} FOR EACH ROW "
                f"BEGIN {_copied(dialect, table, column, copy, 'NEW.doctor_id')}; END",
                f"CREATE TRIGGER {_trigger(table, 'UPDATE')} AFTER UPDATE ON {table} FOR EACH ROW "
                f"BEGIN {_copied(dialect, table, column, copy, 'OLD.doctor_id')}; "
                f"{_copied(dialect, table, column, copy, 'NEW.doctor_id')}; END",
                f"CREATE TRIGGER {_trigger(table, 'DELETE')} AFTER DELETE ON {table} FOR EACH ROW "
                f"BEGIN {_copied(dialect, table, column, copy, 'OLD.doctor_id')}; END",
            ]
    return statements


def drop_statements(dialect: str) -> list[str]:
    statements = []
    for table, _, _ in LINKS:
        statements += [
            f"DROP TRIGGER {_trigger(table, event)}" + (f" ON {table}" if dialect == 'postgresql' else '')
            for event in ('INSERT', 'UPDATE', 'DELETE')
        ]
        if dialect == 'postgresql':
            statements.append(f"DROP FUNCTION {_function(table)}()")
    return statements


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for _, _, copy in LINKS:
        # A constant default: PostgreSQL adds the column without rewriting the table, SQLite in place.
        op.add_column('doctors', sa.Column(copy, sa.Text(), server_default='[]', nullable=False))
    for table, column, copy in LINKS:
        op.execute(f"UPDATE doctors SET {copy} = {_ids(dialect, table, column, 'doctors.id')}")  # noqa: S608
    for statement in create_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    for _, _, copy in reversed(LINKS):
        # Not in batch mode: rebuilding the SQLite table would lose its triggers (0003).
        op.drop_column('doctors', copy)
