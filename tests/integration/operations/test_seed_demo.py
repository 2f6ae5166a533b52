"""`hospital seed-demo`: bulk demo data that the API serves and whose accounts can log in."""

from __future__ import annotations

from sqlalchemy import func, select

from hospital.adapters.sqlalchemy.tables import care
from hospital.application.accounts import LogInCommand, RegisterCommand
from hospital.application.actor import ANONYMOUS
from hospital.application.pagination import PageRequest
from hospital.bootstrap import build_container, shutdown
from hospital.settings import Settings
from tests.integration.operations.test_cli import environment, run  # noqa: F401 - the fixture is used by name


async def test_seed_demo_fills_every_list_and_its_accounts_log_in(environment: Settings, capsys) -> None:  # noqa: F811
    code = await run("seed-demo", "--doctors", "3", "--patients", "4", "--appointments", "5", "--reviews", "2",
                     "--password", "demo-password-9")
    assert code == 0
    assert "seeded 3 doctors, 7 patient records, 5 appointments, 2 reviews" in capsys.readouterr().out
    assert await run("seed-demo", "--doctors", "0", "--patients", "0", "--appointments", "0", "--reviews", "0",
                     "--bulk-appointments", "50", "--bulk-doctor", "1") == 0

    container = build_container(environment)
    try:
        page = await container.list_doctors()(ANONYMOUS, page=PageRequest.of(1, 10))
        assert page.total == 3
        assert all(d.designation and d.specialisation and d.available_time for d in page.items)
        tokens = await container.log_in()(LogInCommand(username="doctor1", password="demo-password-9"))
        actor = await container.identify_actor()(tokens.access)
        assert actor.doctor_id == 1
        async with container.unit_of_work() as uow:
            total = await uow.session.scalar(select(func.count()).select_from(care.appointments))
            mine = await uow.session.scalar(
                select(func.count()).select_from(care.appointments).where(care.appointments.c.doctor_id == 1)
            )
        assert total == 55 and mine >= 50
        # The API's own inserts get fresh ids after the explicit ones (PostgreSQL sequences restarted).
        registered = await container.register_user()(RegisterCommand(
            username="newcomer", email="n@example.org", password="Str0ng-passw0rd!",
            confirm_password="Str0ng-passw0rd!",
        ))
        assert registered.user.id == 8
    finally:
        await shutdown(container)
