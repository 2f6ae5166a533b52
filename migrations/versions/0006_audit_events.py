"""audit_events: the append-only audit log, with triggers refusing UPDATE and DELETE

Every UPDATE of audit_events and audit_event_patients is refused, and every DELETE (and, on
PostgreSQL, TRUNCATE) too, unless the deleting transaction holds a row of audit_prune_permits:
`hospital audit prune` inserts one, deletes whole chains, and deletes its permit before it commits,
so no other transaction ever sees it (docs/audit.md). The application's role needs no right on the
permits (docs/deployment.md).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported, so this migration stays what it was whatever the package becomes.
APPEND_ONLY = ('audit_events', 'audit_event_patients')
_REFUSAL = 'audit events are append-only'
_PERMITTED = 'EXISTS (SELECT 1 FROM audit_prune_permits)'
_FUNCTION = 'refuse_audit_event_changes'


def create_statements(dialect: str) -> list[str]:
    if dialect == 'postgresql':
        statements = [
            f"CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP IN ('DELETE', 'TRUNCATE') AND {_PERMITTED} THEN RETURN OLD; END IF; "
            f"RAISE EXCEPTION '{_REFUSAL} (% refused on %)', TG_OP, TG_TABLE_NAME "
            f"USING ERRCODE = 'insufficient_privilege'; END $$"
        ]
        for table in APPEND_ONLY:
            statements.append(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                              f"FOR EACH ROW EXECUTE FUNCTION {_FUNCTION}()")
            statements.append(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                              f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()")
        return statements
    statements = []
    for table in APPEND_ONLY:
        statements.append(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                          f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL} (UPDATE refused on {table})'); END")
        statements.append(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN NOT {_PERMITTED} "
                          f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL} (DELETE refused on {table})'); END")
    return statements


def drop_statements(dialect: str) -> list[str]:
    if dialect == 'postgresql':
        statements = []
        for table in APPEND_ONLY:
            statements += [f"DROP TRIGGER {table}_append_only ON {table}", f"DROP TRIGGER {table}_no_truncate ON {table}"]
        return [*statements, f"DROP FUNCTION {_FUNCTION}()"]
    return [f"DROP TRIGGER {table}_{event}" for table in APPEND_ONLY for event in ('no_update', 'no_delete')]


def upgrade() -> None:
    op.create_table('audit_prune_permits',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_prune_permits'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chain', sa.String(length=100), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('resource_type', sa.String(length=20), nullable=False),
    sa.Column('resource_id', sa.BigInteger(), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('actor_user_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_role', sa.String(length=12), nullable=False),
    sa.Column('username', sa.Text(), nullable=True),
    sa.Column('filters', sa.Text(), server_default='[]', nullable=False),
    sa.Column('client_address', sa.Text(), nullable=True),
    sa.Column('request_id', sa.Text(), nullable=True),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('chain', 'seq', name='uq_audit_events_chain_seq')
    )
    op.create_index('ix_audit_events_recorded_at', 'audit_events', ['recorded_at'], unique=False)
    op.create_index('ix_audit_events_actor_user_id_recorded_at', 'audit_events', ['actor_user_id', 'recorded_at'],
                    unique=False)
    op.create_table('audit_event_patients',
    sa.Column('patient_id', sa.BigInteger(), nullable=False),
    sa.Column('event_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'],
                            name=op.f('fk_audit_event_patients_event_id_audit_events')),
    sa.PrimaryKeyConstraint('patient_id', 'event_id', name=op.f('pk_audit_event_patients'))
    )
    op.create_index('ix_audit_event_patients_event_id', 'audit_event_patients', ['event_id'], unique=False)
    for statement in create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index('ix_audit_event_patients_event_id', table_name='audit_event_patients')
    op.drop_table('audit_event_patients')
    op.drop_index('ix_audit_events_actor_user_id_recorded_at', table_name='audit_events')
    op.drop_index('ix_audit_events_recorded_at', table_name='audit_events')
    op.drop_table('audit_events')
    op.drop_table('audit_prune_permits')
