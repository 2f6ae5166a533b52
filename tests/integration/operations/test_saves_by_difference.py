"""A record written on the driver (entity_table.py) is saved by difference: the UPDATE sets only the
columns whose value differs from what the unit read or last wrote at that version, and the version;
no statement when nothing differs. A record the unit did not read gets every column, and the version
check still decides."""

from __future__ import annotations

import re

import pytest

from hospital.application.errors import ConcurrentChangeError
from hospital.bootstrap import Container
from hospital.domain.contacts import Contact
from tests.support.sql_statements import counted_statements, engines_of


def set_columns(statements: list[str]) -> list[set[str]]:
    """The columns each UPDATE of contacts sets."""
    found = []
    for statement in statements:
        match = re.match(r"\s*UPDATE contacts SET (.*?) WHERE", statement, re.IGNORECASE | re.DOTALL)
        if match:
            found.append({part.split("=")[0].strip() for part in match.group(1).split(",")})
    return found


async def a_contact(container: Container) -> int:
    async with container.unit_of_work() as uow:
        contact = Contact.create(name="Ann", phone="01712345678", massage="Call me")
        await uow.contacts.add(contact)
        await uow.commit()
    assert contact.id is not None
    return contact.id


async def stored(container: Container, contact_id: int) -> tuple[str, str, str, int]:
    async with container.unit_of_work() as uow:
        contact = await uow.contacts.get(contact_id)
    return contact.name, contact.phone, contact.massage, contact.version


async def test_a_save_sets_only_the_changed_columns_and_the_version(sql_container):
    contact_id = await a_contact(sql_container)
    with counted_statements(*engines_of(sql_container)) as statements:
        async with sql_container.unit_of_work() as uow:
            contact = await uow.contacts.get(contact_id)
            contact.update(massage="Call me back")
            await uow.contacts.save(contact)
            contact.update(name="Anna")  # a second save in the unit: only its own difference
            await uow.contacts.save(contact)
            await uow.contacts.save(contact)  # nothing changed since: no statement
            await uow.commit()
    assert set_columns(statements) == [{"massage", "version"}, {"name", "version"}]
    assert await stored(sql_container, contact_id) == ("Anna", "01712345678", "Call me back", 3)


async def test_a_record_the_unit_did_not_read_is_written_whole(sql_container):
    contact_id = await a_contact(sql_container)
    async with sql_container.unit_of_work() as uow:
        contact = await uow.contacts.get(contact_id)
    contact.update(phone="01712345670")
    with counted_statements(*engines_of(sql_container)) as statements:
        async with sql_container.unit_of_work() as uow:
            await uow.contacts.save(contact)
            await uow.commit()
    assert set_columns(statements) == [{"name", "phone", "massage", "version"}]
    assert await stored(sql_container, contact_id) == ("Ann", "01712345670", "Call me", 2)


async def test_a_record_changed_since_the_unit_read_it_still_fails_its_version_check(sql_container):
    contact_id = await a_contact(sql_container)
    async with sql_container.unit_of_work() as uow:
        stale = await uow.contacts.get(contact_id)
    async with sql_container.unit_of_work() as uow:
        fresh = await uow.contacts.get(contact_id)
        fresh.update(massage="Changed meanwhile")
        await uow.contacts.save(fresh)
        await uow.commit()
    stale.update(name="Lost")
    async with sql_container.unit_of_work() as uow:
        with pytest.raises(ConcurrentChangeError):
            await uow.contacts.save(stale)
        await uow.rollback()
    assert await stored(sql_container, contact_id) == ("Ann", "01712345678", "Changed meanwhile", 2)


async def test_a_value_changed_and_changed_back_writes_nothing(sql_container):
    contact_id = await a_contact(sql_container)
    with counted_statements(*engines_of(sql_container)) as statements:
        async with sql_container.unit_of_work() as uow:
            contact = await uow.contacts.get(contact_id)
            contact.update(massage="Something else")
            contact.update(massage="Call me")
            await uow.contacts.save(contact)
            await uow.commit()
    assert set_columns(statements) == []
    assert await stored(sql_container, contact_id) == ("Ann", "01712345678", "Call me", 1)
