"""Contacts: anyone may send one; only admins list, read, change or delete them."""

from __future__ import annotations

import pytest

from hospital.application.actor import ANONYMOUS
from hospital.application.contacts import ContactChanges
from hospital.application.errors import AuthenticationError
from hospital.domain.errors import NotFoundError, PermissionDeniedError, ValidationError

MESSAGE = ContactChanges(name="Ada", phone="+8801712", massage="Please call me back.")


@pytest.fixture
def contacts(container):
    class Contacts:
        submit = container.submit_contact()
        list = container.list_contacts()
        get = container.get_contact()
        update = container.update_contact()
        delete = container.delete_contact()

    return Contacts


async def test_anyone_may_send_one(contacts, everyone, boss):
    for actor in everyone.values():
        sent = await contacts.submit(actor, MESSAGE)
        assert (sent.name, sent.phone, sent.massage) == ("Ada", "+8801712", "Please call me back.")
    assert len(await contacts.list(boss)) == len(everyone)


async def test_anonymous_callers_must_authenticate_for_everything_else(contacts):
    sent = await contacts.submit(ANONYMOUS, MESSAGE)
    for call in (lambda: contacts.list(ANONYMOUS), lambda: contacts.get(ANONYMOUS, sent.id),
                 lambda: contacts.update(ANONYMOUS, sent.id, MESSAGE),
                 lambda: contacts.delete(ANONYMOUS, sent.id)):
        with pytest.raises(AuthenticationError):
            await call()


async def test_patients_and_doctors_are_refused_even_their_own(contacts, non_admins, boss):
    for actor in non_admins.values():
        sent = await contacts.submit(actor, MESSAGE)
        for call in (lambda a=actor: contacts.list(a), lambda a=actor, s=sent: contacts.get(a, s.id),
                     lambda a=actor, s=sent: contacts.update(a, s.id, MESSAGE, partial=True),
                     lambda a=actor, s=sent: contacts.delete(a, s.id), lambda a=actor: contacts.get(a, 999)):
            with pytest.raises(PermissionDeniedError):
                await call()
    assert len(await contacts.list(boss)) == 2


async def test_an_admin_reads_changes_and_deletes(contacts, boss):
    sent = await contacts.submit(ANONYMOUS, MESSAGE)
    assert (await contacts.get(boss, sent.id)).massage == "Please call me back."
    changed = await contacts.update(boss, sent.id, ContactChanges(phone="017 1234-5678"), partial=True)
    assert (changed.name, changed.phone) == ("Ada", "01712345678")
    replaced = await contacts.update(boss, sent.id, ContactChanges(name="Bo", phone="1", massage="Hi"))
    assert (replaced.name, replaced.phone, replaced.massage) == ("Bo", "1", "Hi")
    await contacts.delete(boss, sent.id)
    assert await contacts.list(boss) == []


async def test_an_unknown_id_is_not_found_for_an_admin(contacts, boss):
    for call in (lambda: contacts.get(boss, 9), lambda: contacts.update(boss, 9, MESSAGE),
                 lambda: contacts.delete(boss, 9)):
        with pytest.raises(NotFoundError):
            await call()


async def test_every_field_is_required_on_create_and_full_update(contacts, boss):
    required = {"name": ["This field is required."], "phone": ["This field is required."],
                "massage": ["This field is required."]}
    with pytest.raises(ValidationError) as caught:
        await contacts.submit(ANONYMOUS, ContactChanges())
    assert caught.value.errors == required
    sent = await contacts.submit(ANONYMOUS, MESSAGE)
    with pytest.raises(ValidationError) as caught:
        await contacts.update(boss, sent.id, ContactChanges(name="Only"))
    assert set(caught.value.errors) == {"phone", "massage"}
    assert (await contacts.get(boss, sent.id)).name == "Ada"


@pytest.mark.parametrize(("changes", "field"), [
    (ContactChanges(name="x" * 51, phone="1", massage="m"), "name"),
    (ContactChanges(name="n", phone="123456789012", massage="m"), "phone"),
    (ContactChanges(name="n", phone="12a", massage="m"), "phone"),
    (ContactChanges(name="n", phone="1+2", massage="m"), "phone"),
    (ContactChanges(name="n", phone="1", massage="   "), "massage"),
])
async def test_invalid_fields_are_refused_and_nothing_is_stored(contacts, boss, changes, field):
    with pytest.raises(ValidationError) as caught:
        await contacts.submit(ANONYMOUS, changes)
    assert list(caught.value.errors) == [field]
    assert await contacts.list(boss) == []
