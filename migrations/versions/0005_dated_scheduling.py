"""dated scheduling: windows of available times, doctors' schedules and date exceptions, dated
appointments that can never overlap, idempotency records

- available_times gain window_start/window_end, read from each existing label that reads as a range.
- appointments gain fhir_status (existing rows: proposed, checked-in, fulfilled or cancelled by their
  status and cancel fields; they stay undated), starts_at/ends_at, the cancellation's who/when/why,
  and the reschedule links; time_id becomes nullable (a slot of a date exception has no available time).
- No two occupying appointments of one doctor, or of one patient, overlap: PostgreSQL exclusion
  constraints (btree_gist), SQLite triggers that abort the write, and a partial unique index on
  (doctor_id, starts_at) on both.

Revision ID: 0005
Revises: 0004
"""

import datetime
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported, so this migration stays what it was whatever the package becomes.
OCCUPYING = "starts_at IS NOT NULL AND fhir_status IN ('booked', 'arrived', 'checked-in', 'fulfilled')"
STATUSES = ('proposed', 'booked', 'arrived', 'checked-in', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error')
OVERLAPS = (("ex_appointments_doctor_overlap", "doctor_id"), ("ex_appointments_patient_overlap", "patient_id"))

_SIDE = r"(\d{1,2})(?:[:.](\d{2}))?\s*([ap])?\.?\s*(?:m\.?)?"
_RANGE = re.compile(rf"\s*{_SIDE}\s*(?:-|–|—|to)\s*{_SIDE}\s*", re.IGNORECASE)


def _clock(hour, minute, meridiem):
    if minute > 59:
        return None
    if meridiem is None:
        return (hour, minute) if hour <= 23 else None
    if not 1 <= hour <= 12:
        return None
    return (hour % 12 + (12 if meridiem == "p" else 0), minute)


def window_of(label):
    """(start, end) times of a label that reads as a range, as domain/time_windows.py read it in 0005."""
    match = _RANGE.fullmatch(label)
    if match is None:
        return None
    start_hour, start_minute, start_meridiem, end_hour, end_minute, end_meridiem = match.groups()
    start_meridiem = (start_meridiem or end_meridiem or "").lower() or None
    end_meridiem = (end_meridiem or start_meridiem or "").lower() or None
    start = _clock(int(start_hour), int(start_minute or 0), start_meridiem)
    end = _clock(int(end_hour), int(end_minute or 0), end_meridiem)
    if start is not None and end is not None and match[3] is None and end <= start and start_meridiem == "p":
        start = _clock(int(start_hour), int(start_minute or 0), "a")
    if start is None or end is None or end <= start:
        return None
    return tuple(datetime.time(hour, minute) for hour, minute in (start, end))


def _sqlite_triggers():
    statements = []
    for name, column in OVERLAPS:
        condition = (
            f"SELECT RAISE(ABORT, '{name}') WHERE NEW.starts_at IS NOT NULL AND NEW.fhir_status IN "  # noqa: S608
            "('booked', 'arrived', 'checked-in', 'fulfilled') AND EXISTS (SELECT 1 FROM appointments AS other "
            f"WHERE other.{column} = NEW.{column} AND other.id IS NOT NEW.id AND other.starts_at IS NOT NULL "
            "AND other.fhir_status IN ('booked', 'arrived', 'checked-in', 'fulfilled') "
            "AND other.starts_at < NEW.ends_at AND other.ends_at > NEW.starts_at)"
        )
        statements.append(f"CREATE TRIGGER {name}_on_insert BEFORE INSERT ON appointments BEGIN {condition}; END")
        statements.append(
            f"CREATE TRIGGER {name}_on_update BEFORE UPDATE OF {column}, starts_at, ends_at, fhir_status "
            f"ON appointments BEGIN {condition}; END")
    return statements


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name

    # Not in batch mode: rebuilding the SQLite table would lose its trigger (0003).
    op.add_column('available_times', sa.Column('window_start', sa.Time(), nullable=True))
    op.add_column('available_times', sa.Column('window_end', sa.Time(), nullable=True))
    times = sa.table('available_times', sa.column('id', sa.Integer), sa.column('time', sa.String),
                     sa.column('window_start', sa.Time), sa.column('window_end', sa.Time))
    for time_id, label in bind.execute(sa.select(times.c.id, times.c.time)).all():
        window = window_of(label)
        if window is not None:
            bind.execute(times.update().where(times.c.id == time_id).values(window_start=window[0],
                                                                            window_end=window[1]))

    with op.batch_alter_table('appointments') as batch:
        batch.alter_column('time_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('fhir_status', sa.Enum(*STATUSES, name='fhir_status', native_enum=False,
                                                          length=20, create_constraint=True),
                                   server_default='proposed', nullable=False))
        batch.add_column(sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('cancellation_reason', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('cancellation_note', sa.Text(), nullable=True))
        batch.add_column(sa.Column('cancelled_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('replaces', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('replaced_by', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_appointments_cancelled_by_users'), 'users', ['cancelled_by'], ['id'],
                                 ondelete='SET NULL')
        batch.create_foreign_key(op.f('fk_appointments_replaces_appointments'), 'appointments', ['replaces'],
                                 ['id'], ondelete='SET NULL')
        batch.create_foreign_key(op.f('fk_appointments_replaced_by_appointments'), 'appointments',
                                 ['replaced_by'], ['id'], ondelete='SET NULL')
        batch.create_check_constraint('dated_interval',
                                      '(starts_at IS NULL AND ends_at IS NULL) OR ends_at > starts_at')
    # Existing appointments stay undated; their status is what their two fields say.
    op.execute("UPDATE appointments SET fhir_status = CASE WHEN cancelled THEN 'cancelled' "
               "WHEN status = 'Runing' THEN 'checked-in' WHEN status = 'Complated' THEN 'fulfilled' "
               "ELSE 'proposed' END")
    op.create_index('uq_appointments_doctor_id_starts_at', 'appointments', ['doctor_id', 'starts_at'], unique=True,
                    sqlite_where=sa.text(OCCUPYING), postgresql_where=sa.text(OCCUPYING))
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for name, column in OVERLAPS:
            op.execute(f"ALTER TABLE appointments ADD CONSTRAINT {name} EXCLUDE USING gist "
                       f"({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE ({OCCUPYING})")
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)

    op.create_table('doctor_schedules',
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('slot_minutes', sa.SmallInteger(), nullable=False),
    sa.Column('min_notice_minutes', sa.Integer(), nullable=False),
    sa.Column('horizon_days', sa.SmallInteger(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_doctor_schedules_doctor_id_doctors'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('doctor_id', name=op.f('pk_doctor_schedules'))
    )
    op.create_table('schedule_rules',
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('available_time_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['available_time_id'], ['available_times.id'],
                            name=op.f('fk_schedule_rules_available_time_id_available_times'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctor_schedules.doctor_id'],
                            name=op.f('fk_schedule_rules_doctor_id_doctor_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('doctor_id', 'weekday', 'available_time_id', name=op.f('pk_schedule_rules'))
    )
    op.create_index(op.f('ix_schedule_rules_available_time_id'), 'schedule_rules', ['available_time_id'])
    op.create_table('schedule_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('windows', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_schedule_exceptions_doctor_id_doctors'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_exceptions')),
    sa.UniqueConstraint('doctor_id', 'date', name=op.f('uq_schedule_exceptions_doctor_id'))
    )
    op.create_table('idempotency_records',
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.SmallInteger(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('owner', 'key', name=op.f('pk_idempotency_records'))
    )
    op.create_index(op.f('ix_idempotency_records_created_at'), 'idempotency_records', ['created_at'])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index(op.f('ix_idempotency_records_created_at'), table_name='idempotency_records')
    op.drop_table('idempotency_records')
    op.drop_table('schedule_exceptions')
    op.drop_index(op.f('ix_schedule_rules_available_time_id'), table_name='schedule_rules')
    op.drop_table('schedule_rules')
    op.drop_table('doctor_schedules')
    if dialect == "postgresql":
        for name, _ in OVERLAPS:
            op.execute(f"ALTER TABLE appointments DROP CONSTRAINT {name}")
    else:
        for name, _ in OVERLAPS:
            op.execute(f"DROP TRIGGER {name}_on_insert")
            op.execute(f"DROP TRIGGER {name}_on_update")
    op.drop_index('uq_appointments_doctor_id_starts_at', table_name='appointments')
    # Dated appointments cannot be told apart from undated ones once the columns go; an appointment
    # without an available time (a slot of a date exception) cannot exist before 0005.
    op.execute("DELETE FROM appointments WHERE time_id IS NULL")
    with op.batch_alter_table('appointments') as batch:
        batch.drop_constraint(op.f('ck_appointments_dated_interval'), type_='check')
        batch.drop_constraint(op.f('ck_appointments_fhir_status'), type_='check')
        batch.drop_constraint(op.f('fk_appointments_replaced_by_appointments'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_appointments_replaces_appointments'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_appointments_cancelled_by_users'), type_='foreignkey')
        for column in ('replaced_by', 'replaces', 'cancelled_at', 'cancelled_by', 'cancellation_note',
                       'cancellation_reason', 'ends_at', 'starts_at', 'fhir_status'):
            batch.drop_column(column)
        batch.alter_column('time_id', existing_type=sa.Integer(), nullable=False)
    op.drop_column('available_times', 'window_end')
    op.drop_column('available_times', 'window_start')
