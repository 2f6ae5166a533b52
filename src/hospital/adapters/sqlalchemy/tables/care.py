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
    Table,
    Text,
    UniqueConstraint,
)

from hospital.adapters.sqlalchemy.tables.metadata import metadata, version_column
from hospital.domain.appointments import AppointmentStatus, AppointmentType


def _values(enum: type) -> list[str]:
    return [member.value for member in enum]


appointments = Table(
    "appointments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
    Column("doctor_id", ForeignKey("doctors.id", ondelete="CASCADE"), nullable=False),
    Column("time_id", ForeignKey("available_times.id", ondelete="CASCADE"), nullable=False, index=True),
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
)
# Every list is scoped to a doctor or a patient and ordered by id: these make it an index range scan.
Index("ix_appointments_doctor_id_id", appointments.c.doctor_id, appointments.c.id)
Index("ix_appointments_patient_id_id", appointments.c.patient_id, appointments.c.id)

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
