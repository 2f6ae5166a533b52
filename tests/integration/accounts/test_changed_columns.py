"""Users and profiles are saved by difference (adapters/sqlalchemy/entity_table.py), SQLite and
PostgreSQL: only the columns that changed since the unit read the row are written, none when none
did, so the users table's triggers (UPDATE OF a column, whatever its value) move the data versions
only for what really changed; an entity not read in the unit is saved whole, with its version checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hospital.adapters.sqlalchemy.tables.accounts import users
from hospital.adapters.sqlalchemy.tables.versions import ACTORS, DOCTORS, data_versions
from hospital.application.errors import ConcurrentChangeError
from hospital.bootstrap import Container
from hospital.domain.profiles import UserProfile
from hospital.domain.users import User

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


async def _versions(container: Container, user_id: int) -> tuple[int, int, int]:
    """The actors' and doctors' data versions, and the user row's version."""
    async with container.session_factory()() as session:
        kinds = dict((await session.execute(select(data_versions.c.name, data_versions.c.version))).all())
        row = await session.scalar(select(users.c.version).where(users.c.id == user_id))
    return kinds.get(ACTORS, 0), kinds.get(DOCTORS, 0), row


async def _alice(container: Container) -> int:
    async with container.unit_of_work() as uow:
        user = User.register(username="alice", email="a@example.com", first_name="", last_name="",
                             password_hash="h", joined_at=NOW)
        await uow.users.add(user)
        await uow.profiles.add(UserProfile.create(user_id=user.id, now=NOW))
        await uow.commit()
    return user.id


async def _change(container: Container, user_id: int, change) -> None:
    async with container.unit_of_work() as uow:
        details = await uow.profiles.get_by_user(user_id)
        change(details)
        await uow.profiles.save(details)
        await uow.commit()


@pytest.mark.parametrize(("change", "moved"), [
    (lambda d: d.profile.update(now=NOW, bio="only the profile"), (False, False, False)),
    (lambda d: d.user.logged_in(NOW), (False, False, True)),
    (lambda d: d.user.rename(first_name="Alice"), (False, True, True)),
    (lambda d: d.user.deactivate(), (True, False, True)),
    (lambda d: d.user.rename(first_name=""), (False, False, False)),  # the value it has: no change
], ids=["bio", "last_login", "first_name", "deactivation", "same-value"])
async def test_a_save_writes_only_what_changed(sql_container: Container, change, moved) -> None:
    user_id = await _alice(sql_container)
    before = await _versions(sql_container, user_id)
    await _change(sql_container, user_id, change)
    after = await _versions(sql_container, user_id)
    assert tuple(b != a for b, a in zip(before, after, strict=True)) == moved


async def test_a_user_not_read_in_the_unit_is_saved_whole_with_its_version_checked(sql_container: Container) -> None:
    user_id = await _alice(sql_container)
    async with sql_container.unit_of_work() as uow:
        stale = await uow.users.get(user_id)
    await _change(sql_container, user_id, lambda d: d.user.rename(last_name="Liddell"))
    stale.rename(first_name="Stale")
    with pytest.raises(ConcurrentChangeError):
        async with sql_container.unit_of_work() as uow:
            await uow.users.save(stale)
    async with sql_container.unit_of_work() as uow:
        fresh = await uow.users.get(user_id)
    fresh.rename(first_name="Fresh")
    async with sql_container.unit_of_work() as uow:
        await uow.users.save(fresh)  # read in another unit, unchanged since: saved whole
        await uow.commit()
    async with sql_container.unit_of_work() as uow:
        stored = await uow.users.get(user_id)
    assert (stored.first_name, stored.last_name) == ("Fresh", "Liddell")
