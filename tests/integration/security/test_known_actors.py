"""Each worker keeps the actors it has identified, and still refuses a changed user at once.

A worker reuses an actor only while the ``actors`` data version (migration 0010) is unchanged, and
reads that version on every request. Each container here is a worker of its own (its own read
side, so its own kept actors); the changes come from another worker or from SQL, as an admin's
shell would make them.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from sqlalchemy import insert, text

from hospital.adapters.sqlalchemy.tables.catalogue import available_times, designations, specialisations
from hospital.application.errors import InvalidTokenError
from hospital.application.ports.security import TokenType
from hospital.domain.doctors import Doctor
from hospital.settings import Settings
from tests.support.actors import register
from tests.support.apps import app_client, side_container
from tests.support.http import bearer, register_over_http
from tests.support.sql_statements import counted_statements, engines_of


async def _workers(stack: AsyncExitStack, settings: Settings, count: int) -> list:
    return [await stack.enter_async_context(side_container(settings)) for _ in range(count)]


async def _identify(container, user_id: int):
    token = container.tokens().issue(user_id=user_id, token_type=TokenType.ACCESS).token
    try:
        return await container.identify_actor()(token)
    except InvalidTokenError:
        return None


async def _sql(container, statement: str, **values) -> None:
    """As an admin at a SQL shell: straight on the engine, past every use case."""
    async with container.engine().begin() as connection:
        await connection.execute(text(statement), values)


async def test_a_known_caller_costs_only_the_version_check(sql_settings: Settings) -> None:
    async with AsyncExitStack() as stack:
        (worker,) = await _workers(stack, sql_settings, 1)
        user = await register(worker)
        assert await _identify(worker, user.user_id) == user
        with counted_statements(*engines_of(worker)) as statements:
            assert await _identify(worker, user.user_id) == user
        assert len(statements) == 1 and "data_versions" in statements[0], statements


async def test_every_worker_refuses_a_user_deactivated_in_sql_at_once(sql_settings: Settings) -> None:
    async with AsyncExitStack() as stack:
        one, two, shell = await _workers(stack, sql_settings, 3)
        user = await register(one)
        for worker in (one, two):
            assert await _identify(worker, user.user_id) == user
        await _sql(shell, "UPDATE users SET is_active = :no WHERE id = :id", no=False, id=user.user_id)
        assert [await _identify(worker, user.user_id) for worker in (one, two)] == [None, None]
        await _sql(shell, "UPDATE users SET is_active = :yes WHERE id = :id", yes=True, id=user.user_id)
        assert [await _identify(worker, user.user_id) for worker in (one, two)] == [user, user]


async def test_every_worker_refuses_a_user_deleted_in_sql_at_once(sql_settings: Settings) -> None:
    async with AsyncExitStack() as stack:
        one, two, shell = await _workers(stack, sql_settings, 3)
        user = await register(one)
        for worker in (one, two):
            assert await _identify(worker, user.user_id) == user
        await _sql(shell, "DELETE FROM users WHERE id = :id", id=user.user_id)
        assert [await _identify(worker, user.user_id) for worker in (one, two)] == [None, None]


async def test_every_worker_sees_a_role_changed_in_sql_at_once(sql_settings: Settings) -> None:
    async with AsyncExitStack() as stack:
        one, two, shell = await _workers(stack, sql_settings, 3)
        user = await register(one)
        for worker in (one, two):
            assert not (await _identify(worker, user.user_id)).is_admin
        await _sql(shell, "UPDATE users SET is_staff = :yes WHERE id = :id", yes=True, id=user.user_id)
        assert [(await _identify(worker, user.user_id)).is_admin for worker in (one, two)] == [True, True]
        await _sql(shell, "DELETE FROM patients WHERE user_id = :id", id=user.user_id)
        assert [(await _identify(worker, user.user_id)).patient_id for worker in (one, two)] == [None, None]


async def test_every_worker_sees_a_doctor_record_gained_or_lost_at_once(sql_settings: Settings) -> None:
    async with AsyncExitStack() as stack:
        one, two, shell = await _workers(stack, sql_settings, 3)
        user = await register(one)
        assert (await _identify(one, user.user_id)).doctor_id is None
        async with two.unit_of_work() as uow:  # another worker's use of the unit of work
            session = uow.session
            ids = [await session.scalar(insert(table).values(**row).returning(table.c.id)) for table, row in (
                (designations, {"name": "Consultant", "slug": "consultant"}),
                (specialisations, {"name": "Cardiology", "slug": "cardiology"}),
                (available_times, {"time": "09:00-10:00"}))]
            doctor = Doctor.create(user_id=user.user_id, designation_ids=[ids[0]], specialisation_ids=[ids[1]],
                                   available_time_ids=[ids[2]], fee=500)
            await uow.doctors.add(doctor)
            await uow.commit()
        assert (await _identify(one, user.user_id)).doctor_id == doctor.id
        await _sql(shell, "DELETE FROM doctors WHERE id = :id", id=doctor.id)
        assert (await _identify(one, user.user_id)).doctor_id is None


async def test_a_profile_edit_keeps_the_actors(sql_settings: Settings) -> None:
    """Only what makes an actor moves the version: names, logins and passwords do not."""
    async with AsyncExitStack() as stack:
        (worker,) = await _workers(stack, sql_settings, 1)
        user = await register(worker)
        await _identify(worker, user.user_id)
        await _sql(worker, "UPDATE users SET first_name = :name WHERE id = :id", name="Renamed", id=user.user_id)
        with counted_statements(*engines_of(worker)) as statements:
            assert await _identify(worker, user.user_id) == user
        assert len(statements) == 1, statements


async def test_over_http_two_workers_refuse_a_deactivated_caller(sql_settings: Settings) -> None:
    async with app_client(sql_settings) as one, app_client(sql_settings) as two:
        registered = await register_over_http(one, "deactivated")
        headers = bearer(registered["tokens"]["access"])
        for worker in (one, two):
            assert (await worker.get("/api/user/profiles/me/", headers=headers)).status_code == 200
        async with side_container(sql_settings) as shell:
            await _sql(shell, "UPDATE users SET is_active = :no WHERE id = :id", no=False,
                       id=registered["user"]["id"])
        for worker in (one, two):
            assert (await worker.get("/api/user/profiles/me/", headers=headers)).status_code == 401
