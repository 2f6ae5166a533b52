"""audit_events: the append-only audit log (domain/audit.py), and the patients each event concerns.

Triggers (migration 0006) refuse every UPDATE and DELETE of these tables, whoever runs them, with
one exception: a DELETE in a transaction that holds a row of ``audit_prune_permits``, which only
``hospital audit prune`` writes, and only the owner role may (docs/deployment.md: the application's
role is granted INSERT and SELECT on the log, nothing on the permits).
"""

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text, UniqueConstraint

from hospital.adapters.sqlalchemy.tables.metadata import metadata
from hospital.adapters.sqlalchemy.types import UtcDateTime

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("recorded_at", UtcDateTime(), nullable=False, index=True),
    Column("chain", String(100), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("action", String(20), nullable=False),
    Column("resource_type", String(20), nullable=False),
    Column("resource_id", BigInteger, nullable=True),
    Column("outcome", String(12), nullable=False),
    Column("actor_user_id", BigInteger, nullable=True),
    Column("actor_role", String(12), nullable=False),
    Column("username", Text, nullable=True),
    # The filters of a list call, as the JSON array of [name, value] pairs the hash covers.
    Column("filters", Text, nullable=False, server_default="[]"),
    Column("client_address", Text, nullable=True),
    Column("request_id", Text, nullable=True),
    Column("user_agent", Text, nullable=True),
    # One chain is written one event at a time, in order: no two events share a place.
    UniqueConstraint("chain", "seq", name="uq_audit_events_chain_seq"),
)
Index("ix_audit_events_actor_user_id_recorded_at", audit_events.c.actor_user_id, audit_events.c.recorded_at)

# Which patients' data each event concerns (a list call: every patient the page returned). A table of
# its own so a patient's access log is an index range scan; covered by the event's hash.
audit_event_patients = Table(
    "audit_event_patients",
    metadata,
    Column("patient_id", BigInteger, primary_key=True),
    # No foreign key (migration 0008): written by its event's unit of work, covered by its hash; the
    # key's check was a lookup of the event per link.
    Column("event_id", String(32), primary_key=True, index=True),
)

# A row here, in the pruning transaction only, lets that transaction DELETE audit events.
audit_prune_permits = Table(
    "audit_prune_permits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
)
