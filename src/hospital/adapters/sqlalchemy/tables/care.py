"""appointments and reviews."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from hospital.adapters.sqlalchemy.tables.metadata import metadata, version_column
from hospital.adapters.sqlalchemy.tables.scheduling import DOCTOR_START, OCCUPYING_SQL
from hospital.adapters.sqlalchemy.types import UtcDateTime
from hospital.domain.appointment_lifecycle import FhirStatus
from hospital.domain.appointments import AppointmentStatus, AppointmentType


def _values(enum: type) -> list[str]:
    return [member.value for member in enum]


appointments = Table(
    "appointments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
    Column("doctor_id", ForeignKey("doctors.id", ondelete="CASCADE"), nullable=False),
    # None only for a dated appointment in a slot of a date exception's window.
    Column("time_id", ForeignKey("available_times.id", ondelete="CASCADE"), nullable=True, index=True),
    Column(
        "appointment_type",
        Enum(AppointmentType, values_callable=_values, native_enum=False, length=10,
             name="appointment_type", create_constraint=True),
        nullable=False,
    ),
    Column(
        "status",
        Enum(AppointmentStatus, values_callable=_values, native_enum=False, length=10,
             name="appointment_status", create_constraint=True),
        nullable=False,
    ),
    Column("symptoms", Text, nullable=False, server_default=""),
    Column("cancelled", Boolean, nullable=False, server_default="0"),
    version_column(),
    # Dated scheduling (SCHEDULING.md): the FHIR status the two fields above project, the slot held
    # (UTC, [starts_at, ends_at)), who cancelled and why, and the appointments a reschedule links.
    Column(
        "fhir_status",
        Enum(FhirStatus, values_callable=_values, native_enum=False, length=20,
             name="fhir_status", create_constraint=True),
        nullable=False, server_default="proposed",
    ),
    Column("starts_at", UtcDateTime, nullable=True),
    Column("ends_at", UtcDateTime, nullable=True),
    Column("cancellation_reason", String(10), nullable=True),
    Column("cancellation_note", Text, nullable=True),
    Column("cancelled_by", ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("replaces", ForeignKey("appointments.id", ondelete="SET NULL"), nullable=True),
    Column("replaced_by", ForeignKey("appointments.id", ondelete="SET NULL"), nullable=True),
    CheckConstraint("(starts_at IS NULL AND ends_at IS NULL) OR ends_at > starts_at", name="dated_interval"),
)
# Every list is scoped to a doctor or a patient and ordered by id: these make it an index range scan.
Index("ix_appointments_doctor_id_id", appointments.c.doctor_id, appointments.c.id)
Index("ix_appointments_patient_id_id", appointments.c.patient_id, appointments.c.id)
# One occupying appointment per doctor and start: the busy intervals of a range are an index range
# scan, and on SQLite it backs the overlap triggers (migration 0005). PostgreSQL's exclusion
# constraint implies it; it is kept there too so both databases have one schema.
Index(DOCTOR_START, appointments.c.doctor_id, appointments.c.starts_at, unique=True,
      sqlite_where=text(OCCUPYING_SQL), postgresql_where=text(OCCUPYING_SQL))
# The appointments that may overlap [start, end): those ending after start, the future ones, where
# the index above would scan every earlier one (migration 0007). The SQLite triggers and the busy
# intervals' query use them.
Index("ix_appointments_doctor_id_ends_at", appointments.c.doctor_id, appointments.c.ends_at,
      appointments.c.starts_at, sqlite_where=text(OCCUPYING_SQL), postgresql_where=text(OCCUPYING_SQL))
Index("ix_appointments_patient_id_ends_at", appointments.c.patient_id, appointments.c.ends_at,
      appointments.c.starts_at, sqlite_where=text(OCCUPYING_SQL), postgresql_where=text(OCCUPYING_SQL))

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reviewer_id", ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
    Column("doctor_id", ForeignKey("doctors.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("rating", SmallInteger, nullable=False, index=True),
    Column("created_on", Date, nullable=False),
    version_column(),
    UniqueConstraint("reviewer_id", "doctor_id", name="uq_reviews_reviewer_id_doctor_id"),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
)
