"""doctor_schedules, schedule_rules, schedule_exceptions, idempotency_records (dated scheduling,
SCHEDULING.md); the dated columns of appointments are in care.py.

The guarantee that no two occupying appointments of a doctor, or of a patient, overlap is not here:
it is the database's own (migration 0005): PostgreSQL exclusion constraints, SQLite triggers. Their
names are in ``OVERLAP_CONSTRAINTS``, which database_errors.py refuses by.
"""

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hospital.adapters.sqlalchemy.tables.metadata import metadata, version_column
from hospital.adapters.sqlalchemy.types import UtcDateTime

DOCTOR_OVERLAP = "ex_appointments_doctor_overlap"
PATIENT_OVERLAP = "ex_appointments_patient_overlap"
# SQLite's partial unique index beside its triggers: two bookings of one start can never both be stored.
DOCTOR_START = "uq_appointments_doctor_id_starts_at"
OVERLAP_CONSTRAINTS = (DOCTOR_OVERLAP, PATIENT_OVERLAP, DOCTOR_START)
# The statuses whose dated appointments hold their time (domain/appointment_lifecycle.py OCCUPYING).
OCCUPYING_SQL = "starts_at IS NOT NULL AND fhir_status IN ('booked', 'arrived', 'checked-in', 'fulfilled')"

doctor_schedules = Table(
    "doctor_schedules",
    metadata,
    Column("doctor_id", ForeignKey("doctors.id", ondelete="CASCADE"), primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("slot_minutes", SmallInteger, nullable=False),
    Column("min_notice_minutes", Integer, nullable=False),
    Column("horizon_days", SmallInteger, nullable=False),
    version_column(),
)

schedule_rules = Table(
    "schedule_rules",
    metadata,
    Column("doctor_id", ForeignKey("doctor_schedules.doctor_id", ondelete="CASCADE"), nullable=False),
    Column("weekday", SmallInteger, nullable=False),
    # Deleting the available time removes the rule; unlinking it from the doctor leaves a rule the
    # expansion skips (the doctor no longer offers that time).
    Column("available_time_id", ForeignKey("available_times.id", ondelete="CASCADE"), nullable=False, index=True),
    PrimaryKeyConstraint("doctor_id", "weekday", "available_time_id"),
)

schedule_exceptions = Table(
    "schedule_exceptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("doctor_id", ForeignKey("doctors.id", ondelete="CASCADE"), nullable=False),
    Column("date", Date, nullable=False),
    # "HH:MM-HH:MM" windows joined by ",", sorted; "" is a day off.
    Column("windows", String(400), nullable=False),
    UniqueConstraint("doctor_id", "date"),
)

idempotency_records = Table(
    "idempotency_records",
    metadata,
    # The caller ("user:<id>" or "address:<ip>") and their key: a key is only ever theirs.
    Column("owner", String(80), nullable=False),
    Column("key", String(255), nullable=False),
    # Method, path and body, hashed: the same key with another request is refused.
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    PrimaryKeyConstraint("owner", "key"),
)
