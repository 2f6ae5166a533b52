"""audit events carry their patients: audit_events.patient_ids, and on SQLite links made by a trigger

- audit_events gains patient_ids, the JSON array of the patients' ids (ascending, as the event's hash
  covers them), filled in for the events already stored from their audit_event_patients rows. The
  log is read from it; audit_event_patients stays, the index a patient's access log is found by.
- SQLite: an AFTER INSERT trigger writes an event's audit_event_patients rows from its patient_ids,
  so an event is one INSERT (a booking's event one statement in its transaction, not 1 + one per
  patient). PostgreSQL writes both in one statement already (a CTE; unnest for a batch).
- audit_event_patients loses its foreign key to audit_events: the links are written with their event,
  by the same statement, and verification checks they are its patients; the key's check cost a
  lookup of the event per link (on PostgreSQL a trigger per row, half a ten-patient list's insert).
  On SQLite the table is rebuilt without it, and its append-only triggers made again.

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
LINKS_TRIGGER = 'audit_events_patient_links'
_REFUSAL = 'audit events are append-only'

_FOREIGN_KEY = 'fk_audit_event_patients_event_id_audit_events'
_PERMITTED = 'EXISTS (SELECT 1 FROM audit_prune_permits)'

_BACKFILL = {
    'sqlite': ("UPDATE audit_events SET patient_ids = coalesce((SELECT json_group_array(patient_id) FROM "
               "(SELECT patient_id FROM audit_event_patients WHERE event_id = audit_events.id "
               "ORDER BY patient_id)), '[]')"),
    'postgresql': ("UPDATE audit_events SET patient_ids = '[' || coalesce((SELECT string_agg(patient_id::text, ',' "
                   "ORDER BY patient_id) FROM audit_event_patients WHERE event_id = audit_events.id), '') || ']'"),
}


def _without_update_refusal(dialect: str, statement: str) -> None:
    """``statement`` run with migration 0006's refusal of UPDATEs on audit_events set aside, in this
    migration's transaction (nobody else sees the log without it)."""
    if dialect == 'postgresql':
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        op.execute(statement)
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
        return
    op.execute("DROP TRIGGER audit_events_no_update")
    op.execute(statement)
    op.execute(f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
               f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL} (UPDATE refused on audit_events)'); END")


def _links_rebuilt_on_sqlite(change) -> None:
    """SQLite changes a table's foreign keys by rebuilding it, which drops its triggers (0006's)."""
    with op.batch_alter_table('audit_event_patients', recreate='always') as batch:
        change(batch)
    op.execute("CREATE TRIGGER audit_event_patients_no_update BEFORE UPDATE ON audit_event_patients "
               f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL} (UPDATE refused on audit_event_patients)'); END")
    op.execute(f"CREATE TRIGGER audit_event_patients_no_delete BEFORE DELETE ON audit_event_patients "
               f"WHEN NOT {_PERMITTED} "
               f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL} (DELETE refused on audit_event_patients)'); END")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column('audit_events', sa.Column('patient_ids', sa.Text(), server_default='[]', nullable=False))
    _without_update_refusal(dialect, _BACKFILL[dialect])
    if dialect == 'postgresql':
        op.drop_constraint(_FOREIGN_KEY, 'audit_event_patients', type_='foreignkey')
    else:
        _links_rebuilt_on_sqlite(lambda batch: batch.drop_constraint(_FOREIGN_KEY, type_='foreignkey'))
        op.execute(f"CREATE TRIGGER {LINKS_TRIGGER} AFTER INSERT ON audit_events "  # noqa: S608 - fixed names
                   "BEGIN INSERT INTO audit_event_patients (patient_id, event_id) "
                   "SELECT value, NEW.id FROM json_each(NEW.patient_ids); END")


def downgrade() -> None:
    def restored(batch) -> None:
        batch.create_foreign_key(_FOREIGN_KEY, 'audit_events', ['event_id'], ['id'])

    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"DROP TRIGGER {LINKS_TRIGGER}")
        _links_rebuilt_on_sqlite(restored)
    else:
        op.create_foreign_key(_FOREIGN_KEY, 'audit_event_patients', 'audit_events', ['event_id'], ['id'])
    op.drop_column('audit_events', 'patient_ids')
