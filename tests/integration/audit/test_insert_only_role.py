"""docs/deployment.md's grants, run as written: the service's role appends to the audit log and reads
it, and can neither change nor delete an event, nor take a prune permit, nor disable the triggers."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from hospital.bootstrap import Container, build_container, shutdown
from hospital.domain.audit import AuditAction, AuditEntry, ResourceType
from tests.conftest import make_settings

DEPLOYMENT = Path(__file__).resolve().parents[3] / "docs" / "deployment.md"


def documented_grants(role: str) -> list[str]:
    section = DEPLOYMENT.read_text().split("## The audit log: an INSERT-only application role", 1)[1]
    block = section.split("```sql", 1)[1].split("```", 1)[0]
    statements = [line.split("--", 1)[0].strip() for line in block.splitlines()]
    wanted = [s for s in statements if re.match(r"^(GRANT|REVOKE)\b", s) and "ON DATABASE" not in s]
    assert len(wanted) >= 5, wanted
    return [s.rstrip(";").replace("hospital_app", role) for s in wanted]


@pytest.fixture
async def app_role(sql_container: Container):
    url = make_url(sql_container.settings().database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    role = f"hospital_app_{uuid.uuid4().hex[:8]}"
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN")
        await admin.execute(f'GRANT CONNECT ON DATABASE "{url.database}" TO {role}')
        for statement in documented_grants(role):
            await admin.execute(statement)
        yield url.set(username=role).render_as_string(hide_password=False)
    finally:
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f'REVOKE CONNECT ON DATABASE "{url.database}" FROM {role}')
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


async def test_the_service_role_appends_and_reads_but_never_rewrites(app_role: str, tmp_path: Path) -> None:
    container = build_container(make_settings(tmp_path, database_url=app_role))
    try:
        async with container.unit_of_work() as uow:
            await uow.audit.append(AuditEntry(AuditAction.READ, ResourceType.PATIENT, patient_ids=(1,)))
            await uow.commit()
        assert (await container.audit_events().verify()).events == 1
    finally:
        await shutdown(container)
    connection = await asyncpg.connect(make_url(app_role).set(drivername="postgresql")
                                       .render_as_string(hide_password=False))
    try:
        for statement in ["UPDATE audit_events SET outcome = 'denied'", "DELETE FROM audit_event_patients",
                          "DELETE FROM audit_events", "TRUNCATE audit_events CASCADE",
                          "INSERT INTO audit_prune_permits (id) VALUES (1)",
                          "ALTER TABLE audit_events DISABLE TRIGGER USER"]:
            with pytest.raises(asyncpg.PostgresError, match=r"permission denied|must be owner"):
                await connection.execute(statement)
    finally:
        await connection.close()
