"""The version rule of the in-memory database (adapters/memory/database.py), which gives what the SQL
store gives: units of work run side by side, and one that changes or deletes a record another unit
changed or deleted since it read it fails with ConcurrentChangeError and writes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from hospital.adapters.memory.database import InMemoryDatabase
from hospital.adapters.memory.unit_of_work import InMemoryUnitOfWork
from hospital.application.errors import ConcurrentChangeError
from hospital.domain.contacts import Contact
from hospital.domain.errors import ConflictError
from hospital.domain.users import USERNAME_TAKEN, User

NOW = datetime(2026, 1, 15, tzinfo=UTC)
Factory = Callable[[], InMemoryUnitOfWork]


@pytest.fixture
def uow() -> Factory:
    database = InMemoryDatabase()
    return lambda: InMemoryUnitOfWork(database)


async def _contact(uow: Factory, name: str = "Ann") -> int:
    async with uow() as tx:
        contact = Contact.create(name=name, phone="01712345678", massage="Call me")
        await tx.contacts.add(contact)
        await tx.commit()
    assert contact.id is not None
    return contact.id


async def _name(uow: Factory, contact_id: int) -> str | None:
    async with uow() as tx:
        contact = await tx.contacts.get(contact_id)
    return None if contact is None else contact.name


def _user(username: str) -> User:
    return User.register(
        username=username,
        email=f"{username}@example.com",
        first_name="",
        last_name="",
        password_hash="h",
        joined_at=NOW,
    )


async def test_a_save_of_a_record_changed_since_it_was_read_fails_and_writes_nothing(uow: Factory) -> None:
    contact_id = await _contact(uow)
    async with uow() as first, uow() as second:
        mine, theirs = await first.contacts.get(contact_id), await second.contacts.get(contact_id)
        mine.update(name="First")
        await first.contacts.save(mine)
        await first.commit()
        theirs.update(name="Second")
        with pytest.raises(ConcurrentChangeError):
            await second.contacts.save(theirs)
    assert await _name(uow, contact_id) == "First"


async def test_a_save_before_the_other_commit_is_refused_at_its_own_commit(uow: Factory) -> None:
    contact_id = await _contact(uow)
    async with uow() as first, uow() as second:
        mine, theirs = await first.contacts.get(contact_id), await second.contacts.get(contact_id)
        theirs.update(name="Second")
        await second.contacts.save(theirs)  # nobody has committed yet
        mine.update(name="First")
        await first.contacts.save(mine)
        await first.commit()
        with pytest.raises(ConcurrentChangeError):
            await second.commit()
    assert await _name(uow, contact_id) == "First"


async def test_a_change_without_a_save_is_not_stored_and_a_stale_save_is_refused(uow: Factory) -> None:
    async with uow() as tx:
        user = _user("alice")
        await tx.users.add(user)
        user.rename(first_name="Added, then changed without a save")
        await tx.commit()
    async with uow() as first, uow() as second:
        mine, theirs = await first.users.get(user.id), await second.users.get(user.id)
        mine.rename(first_name="Alice")
        await first.users.save(mine)
        await first.commit()
        theirs.rename(last_name="Liddell")
        with pytest.raises(ConcurrentChangeError):
            await second.users.save(theirs)
    async with uow() as tx:
        stored = await tx.users.get(user.id)
    assert (stored.first_name, stored.last_name) == ("Alice", "")


async def test_a_record_deleted_since_it_was_read_can_be_neither_saved_nor_deleted(uow: Factory) -> None:
    contact_id = await _contact(uow)
    async with uow() as deleter, uow() as saver, uow() as second_deleter:
        gone = await deleter.contacts.get(contact_id)
        changed, again = await saver.contacts.get(contact_id), await second_deleter.contacts.get(contact_id)
        await deleter.contacts.delete(gone)
        await deleter.commit()
        changed.update(name="Too late")
        with pytest.raises(ConcurrentChangeError):
            await saver.contacts.save(changed)
        with pytest.raises(ConcurrentChangeError):
            await second_deleter.contacts.delete(again)
    assert await _name(uow, contact_id) is None


async def test_a_rerun_reads_the_current_record(uow: Factory) -> None:
    contact_id = await _contact(uow)
    async with uow() as first, uow() as second:
        (await first.contacts.get(contact_id)).update(name="First")
        await first.commit()
        assert (await second.contacts.get(contact_id)).name == "Ann"  # what it read when it began
    assert await _name(uow, contact_id) == "First"  # a unit begun now reads the winner's change


async def test_changes_to_different_records_all_commit(uow: Factory) -> None:
    ids = [await _contact(uow, name) for name in ("A", "B")]
    async with uow() as first, uow() as second:
        (await first.contacts.get(ids[0])).update(name="A2")
        (await second.contacts.get(ids[1])).update(name="B2")
        await second.commit()
        await first.commit()
    assert [await _name(uow, pk) for pk in ids] == ["A2", "B2"]


async def test_a_rolled_back_unit_writes_nothing_and_goes_on_from_the_current_state(uow: Factory) -> None:
    contact_id = await _contact(uow)
    async with uow() as tx:
        (await tx.contacts.get(contact_id)).update(name="Undone")
        await tx.rollback()
        assert (await tx.contacts.get(contact_id)).name == "Ann"
    async with uow() as tx:
        (await tx.contacts.get(contact_id)).update(name="Dropped")  # never committed
    assert await _name(uow, contact_id) == "Ann"


async def test_a_committed_unit_goes_on_from_what_it_committed(uow: Factory) -> None:
    contact_id = await _contact(uow)
    async with uow() as tx:
        contact = await tx.contacts.get(contact_id)
        contact.update(name="Once")
        await tx.commit()
        contact.update(name="Twice")
        await tx.contacts.save(contact)  # its own commit is no concurrent change
        await tx.commit()
    assert await _name(uow, contact_id) == "Twice"


async def test_a_unique_key_two_units_stored_at_once_is_refused_to_the_second_to_commit(uow: Factory) -> None:
    async with uow() as first, uow() as second:
        await first.users.add(_user("Alice"))
        await second.users.add(_user("alice"))  # neither sees the other's
        await first.commit()
        with pytest.raises(ConflictError) as refused:
            await second.commit()
    assert refused.value.errors == {"username": [USERNAME_TAKEN]}
    async with uow() as tx:
        assert (await tx.users.get_by_username("ALICE")).username == "Alice"


async def test_claims_that_would_wait_for_each_other_are_broken_like_a_deadlock(uow: Factory) -> None:
    first, second = uow(), uow()
    async with first, second:
        await first.revoked_tokens.revoke(jti="a", user_id=1, expires_at=NOW, revoked_at=NOW)
        await second.revoked_tokens.revoke(jti="b", user_id=1, expires_at=NOW, revoked_at=NOW)
        waiting = asyncio.create_task(first.revoked_tokens.revoke(jti="b", user_id=1, expires_at=NOW, revoked_at=NOW))
        await asyncio.sleep(0)
        with pytest.raises(ConcurrentChangeError):
            await second.revoked_tokens.revoke(jti="a", user_id=1, expires_at=NOW, revoked_at=NOW)
        await second.rollback()  # the loser gives its claim back; the waiter goes on
        assert await waiting is True
        await first.commit()
