"""audit_event_patients without its foreign key to audit_events

A patient link is written by its event's own unit of work, right after the event (on PostgreSQL by
the same statement), and verification covers it (an event's patients are part of its hash). The
key's check cost a lookup of the event for every link: on PostgreSQL a trigger per row, about half
of what inserting a ten-patient list's links cost. On SQLite the table is rebuilt without it, and
migration 0006's append-only triggers on it made again.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported, so this migration stays what it was whatever the package becomes.
_FOREIGN_KEY = 'fk_audit_event_patients_event_id_audit_events'
_REFUSAL = 'audit events are append-only'
_PERMITTED = 'EXISTS (SELECT 1 FROM audit_prune_permits)'


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
    if op.get_bind().dialect.name == 'sqlite':
        _links_rebuilt_on_sqlite(lambda batch: batch.drop_constraint(_FOREIGN_KEY, type_='foreignkey'))
    else:
        op.drop_constraint(_FOREIGN_KEY, 'audit_event_patients', type_='foreignkey')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _links_rebuilt_on_sqlite(
            lambda batch: batch.create_foreign_key(_FOREIGN_KEY, 'audit_events', ['event_id'], ['id']))
    else:
        op.create_foreign_key(_FOREIGN_KEY, 'audit_event_patients', 'audit_events', ['event_id'], ['id'])
