"""On the SQL stores: a change and its audit event are one transaction (a failed audit write rolls
the change back, bookings on the driver included), and HTTP requests are audited with their client
address, request id and user agent."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from hospital.application.appointments import Booking
from hospital.application.pagination import PageRequest
from hospital.application.patients import PatientChanges
from hospital.bootstrap import Container, build_container, shutdown
from hospital.domain.audit import AuditAction, AuditOutcome, RequestContext, ResourceType
from tests.support.clinic import cast
from tests.support.http import register_over_http

REFUSE_INSERTS = {
    "sqlite": ["CREATE TRIGGER audit_refused BEFORE INSERT ON audit_events "
               "BEGIN SELECT RAISE(ABORT, 'audit store refused'); END"],
    "postgresql": [
        "CREATE FUNCTION audit_refused() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit store refused'; END $$",
        "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_refused()",
    ],
}
ALLOW_INSERTS = {
    "sqlite": ["DROP TRIGGER audit_refused"],
    "postgresql": ["DROP TRIGGER audit_refused ON audit_events", "DROP FUNCTION audit_refused()"],
}


async def run(container: Container, statements: list[str]) -> None:
    async with container.engine().begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


async def test_a_change_whose_event_cannot_be_written_is_rolled_back(sql_container: Container) -> None:
    people = await cast(sql_container)
    dialect = sql_container.engine().dialect.name
    await run(sql_container, REFUSE_INSERTS[dialect])
    try:
        with pytest.raises(Exception, match="audit store refused"):
            await sql_container.update_patient()(people.owner, people.owner.patient_id,
                                                 PatientChanges(phone="01711111111"))
        with pytest.raises(Exception, match="audit store refused"):
            await sql_container.book_appointment()(people.owner, Booking(
                doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))
    finally:
        await run(sql_container, ALLOW_INSERTS[dialect])
    row = await sql_container.get_patient()(people.admin, people.owner.patient_id)
    assert row.phone is None
    page = await sql_container.list_appointments()(people.admin, page=PageRequest.of())
    assert page.total == 0
    # The lanes moved on only with committed events: what is stored still verifies.
    await sql_container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))
    assert (await sql_container.audit_events().verify()).valid


async def test_a_booking_s_event_is_written_in_its_driver_transaction(sql_container: Container) -> None:
    people = await cast(sql_container)
    row = await sql_container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))
    events = [e for e in await sql_container.audit_events().all_events()
              if (e.entry.resource_type, e.entry.resource_id) == (ResourceType.APPOINTMENT, row.id)]
    assert [(e.entry.action, e.entry.patient_ids) for e in events] == [(AuditAction.CREATE, (people.owner.patient_id,))]


async def test_http_requests_are_audited_with_where_they_came_from(client, sql_settings) -> None:
    registered = await register_over_http(client)
    username = registered["user"]["username"]
    response = await client.post("/api/user/login/", json={"username": username, "password": "wrong-Password-9"},
                                 headers={"User-Agent": "audit-test/1.0", "X-Request-ID": "audit-req-1"})
    assert response.status_code == 401
    response = await client.post("/api/user/login/", json={"username": username, "password": "Correct-Horse-Battery-9"},
                                 headers={"User-Agent": "audit-test/1.0", "X-Request-ID": "audit-req-2"})
    assert response.status_code == 200
    reader = build_container(sql_settings)
    try:
        for _ in range(100):  # the refused login is a batched event: written within 100 ms
            events = [e.entry for e in await reader.audit_events().all_events() if e.entry.action is AuditAction.LOGIN]
            if len(events) == 2:
                break
            await asyncio.sleep(0.02)
    finally:
        await shutdown(reader)
    by_request = {e.context.request_id: e for e in events}
    assert by_request["audit-req-1"].outcome is AuditOutcome.DENIED
    assert by_request["audit-req-2"].outcome is AuditOutcome.SUCCESS
    assert by_request["audit-req-2"].context == RequestContext("testclient", "audit-req-2", "audit-test/1.0")
    assert by_request["audit-req-1"].username == username
