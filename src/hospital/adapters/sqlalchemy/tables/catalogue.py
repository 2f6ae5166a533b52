"""designations, specialisations, available_times, doctors (+ their three link tables), services, contacts."""

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table, Text, Time

from hospital.adapters.sqlalchemy.tables.metadata import metadata, version_column

designations = Table(
    "designations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("slug", String(60), nullable=False, unique=True),
    version_column(),
)

specialisations = Table(
    "specialisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("slug", String(60), nullable=False, unique=True),
    version_column(),
)

available_times = Table(
    "available_times",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("time", String(50), nullable=False),
    version_column(),
    # The local hours the label stands for (dated scheduling): both or neither, the end after the
    # start (domain/schedules.py; no CHECK: adding one would rebuild the SQLite table and lose its trigger).
    Column("window_start", Time, nullable=True),
    Column("window_end", Time, nullable=True),
)

# A column ``info`` key: the database computes the column (a trigger), so no write names it.
DERIVED = "derived"
LINKED_ID_COPIES = ("linked_designation_ids", "linked_specialisation_ids", "linked_available_time_ids")

doctors = Table(
    "doctors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("fee", Integer, nullable=False, index=True),
    Column("meet_link", String(250), nullable=False, server_default=""),
    Column("profile", String(255), nullable=True),
    version_column(),
    # Copies of the three link tables' ids (JSON array text, in id order), kept by triggers on the
    # link tables (migration 0009) and only read: a page of doctors is one range read. The link
    # tables stay the source of every write and filter; nothing writes these columns.
    *(Column(name, Text, nullable=False, server_default="[]", info={DERIVED: True}) for name in LINKED_ID_COPIES),
    CheckConstraint("fee >= 0", name="fee_not_negative"),
)


def _doctor_link(name: str, target: str) -> Table:
    # Deleting a doctor or a catalogue entry removes the link, as Django's many-to-many did.
    return Table(
        name,
        metadata,
        Column("doctor_id", ForeignKey("doctors.id", ondelete="CASCADE"), primary_key=True),
        Column(f"{target}_id", ForeignKey(f"{target}s.id", ondelete="CASCADE"), primary_key=True, index=True),
    )


doctor_designations = _doctor_link("doctor_designations", "designation")
doctor_specialisations = _doctor_link("doctor_specialisations", "specialisation")
doctor_available_times = _doctor_link("doctor_available_times", "available_time")

services = Table(
    "services",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("description", Text, nullable=False),
    Column("image", String(255), nullable=False),
    version_column(),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("phone", String(11), nullable=False),
    Column("massage", Text, nullable=False),
    version_column(),
)
