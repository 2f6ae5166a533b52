"""data_versions 'actors', moved by triggers on every write that changes who a user is to the use cases

A worker keeps the actors of the users it has identified (adapters/sqlalchemy/accounts.py), each
labelled with this counter as it was read before the actor was; a request reuses an actor only
while the counter is unchanged. The counter moves in the writing transaction on every change of a
user's activity or staff flag, on a user's deletion, and on any patient or doctor record gained,
lost or moved to another user, whoever writes: the application, a cascade, an admin's SQL shell.
So a deactivated or deleted user, or one whose role changed, is refused at once on every worker.

Only those columns: a profile edit or a login (names, last_login, password) leaves it alone.
PostgreSQL: constraint triggers deferred to commit, as 0003's, so the counter's row is locked only
while the writing transaction commits. SQLite has one writer at a time: plain row triggers.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported, so this migration stays what it was whatever the package becomes.
# (table, events): every write that changes an actor (domain/actors.py: is_staff, patient_id,
# doctor_id, and whether the user is an active one at all). A new user has no cached actor: its
# INSERT is left out, its patient record's INSERT is not.
ACTOR_SOURCES = (
    ("users", ("UPDATE OF id, is_active, is_staff", "DELETE")),
    ("patients", ("INSERT", "UPDATE OF id, user_id", "DELETE")),
    ("doctors", ("INSERT", "UPDATE OF id, user_id", "DELETE")),
)

_BUMP = ("INSERT INTO data_versions (name, version) VALUES ('actors', 1) "
         "ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1")
_FUNCTION = "bump_actors_version"


def _name(table: str, event: str) -> str:
    return f"{table}_{event.split()[0].lower()}_moves_actors_version"


def create_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        statements = [
            f"CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_BUMP}; RETURN NULL; END $$"
        ]
        for table, events in ACTOR_SOURCES:
            for event in events:
                statements.append(
                    f"CREATE CONSTRAINT TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {_FUNCTION}()"
                )
        return statements
    return [
        f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} FOR EACH ROW BEGIN {_BUMP}; END"
        for table, events in ACTOR_SOURCES for event in events
    ]


def drop_statements(dialect: str) -> list[str]:
    statements = [
        f"DROP TRIGGER {_name(table, event)}" + (f" ON {table}" if dialect == "postgresql" else "")
        for table, events in ACTOR_SOURCES for event in events
    ]
    if dialect == "postgresql":
        statements.append(f"DROP FUNCTION {_FUNCTION}()")
    return statements


def upgrade() -> None:
    for statement in create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
