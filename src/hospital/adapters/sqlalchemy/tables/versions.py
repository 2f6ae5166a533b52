"""data_versions: a counter per kind of read data, moved by the database itself on every write that
changes it, so a cache of that data anywhere (each worker keeps its own) knows when it is stale.

Triggers keep it (migrations 0003 and 0010), so no write path can forget it: use cases, the
admin's SQL shell, a restore. The counter only moves in the writing transaction, so a reader never
sees a new number before the data it stands for.
"""

from sqlalchemy import BigInteger, Column, String, Table

from hospital.adapters.sqlalchemy.tables.metadata import metadata

data_versions = Table(
    "data_versions",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("version", BigInteger, nullable=False),
)

# What the doctor list and a doctor show: the doctors, their labels, and their users' names.
DOCTORS = "doctors"

# Who users are to the use cases: their activity, staff flag, patient and doctor records.
ACTORS = "actors"

# A counter per doctor, moved by triggers on every write to what the doctor's slots are made from
# (schedule, rules, date exceptions, offered times and their windows; migration 0011): a booking's
# INSERT checks the one its slot was checked against. No row reads as 0.
slot_source_versions = Table(
    "slot_source_versions",
    metadata,
    Column("doctor_id", BigInteger, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)
