"""Available times: public reads with an id filter, admin writes, a short non-empty label."""

from __future__ import annotations

import pytest

from hospital.application.actor import ANONYMOUS
from hospital.application.available_times import AvailableTimeChanges
from hospital.application.errors import AuthenticationError
from hospital.domain.errors import NotFoundError, PermissionDeniedError, ValidationError


@pytest.fixture
def times(container):
    class Times:
        list = container.list_available_times()
        get = container.get_available_time()
        create = container.create_available_time()
        update = container.update_available_time()
        delete = container.delete_available_time()

    return Times


async def test_anyone_lists_reads_and_filters_by_id(times, boss, everyone):
    before = await times.list(boss)
    first = await times.create(boss, AvailableTimeChanges(time="Mon 9-10"))
    second = await times.create(boss, AvailableTimeChanges(time="Tue 9-10"))
    for actor in everyone.values():
        assert [t.id for t in await times.list(actor)] == [*(t.id for t in before), first.id, second.id]
        assert [t.time for t in await times.list(actor, id=second.id)] == ["Tue 9-10"]
        assert await times.list(actor, id=999) == []
        assert (await times.get(actor, first.id)).time == "Mon 9-10"


async def test_an_unknown_id_is_not_found(times, boss):
    for call in (lambda: times.get(ANONYMOUS, 99), lambda: times.update(boss, 99, AvailableTimeChanges(time="x")),
                 lambda: times.delete(boss, 99)):
        with pytest.raises(NotFoundError):
            await call()


async def test_anonymous_writes_need_authentication(times, boss):
    existing = await times.create(boss, AvailableTimeChanges(time="Mon"))
    for call in (lambda: times.create(ANONYMOUS, AvailableTimeChanges(time="x")),
                 lambda: times.update(ANONYMOUS, existing.id, AvailableTimeChanges(time="x")),
                 lambda: times.delete(ANONYMOUS, existing.id)):
        with pytest.raises(AuthenticationError):
            await call()


async def test_patients_and_doctors_may_not_write(times, boss, non_admins):
    existing = await times.create(boss, AvailableTimeChanges(time="Mon"))
    for actor in non_admins.values():
        for call in (lambda a=actor: times.create(a, AvailableTimeChanges(time="x")),
                     lambda a=actor: times.update(a, existing.id, AvailableTimeChanges(time="x")),
                     lambda a=actor: times.delete(a, existing.id)):
            with pytest.raises(PermissionDeniedError):
                await call()
    assert (await times.get(boss, existing.id)).time == "Mon"


async def test_an_admin_creates_updates_and_deletes(times, boss):
    created = await times.create(boss, AvailableTimeChanges(time="  Mon 9-10 "))
    assert created.time == "Mon 9-10"
    assert (await times.update(boss, created.id, AvailableTimeChanges(time="Wed 8-9"))).time == "Wed 8-9"
    await times.delete(boss, created.id)
    with pytest.raises(NotFoundError):
        await times.get(boss, created.id)


@pytest.mark.parametrize(("time", "message"), [
    (None, "This field is required."),
    ("   ", "This field may not be blank."),
    ("x" * 51, "Ensure this field has no more than 50 characters."),
])
async def test_the_label_is_required_non_blank_and_at_most_50_characters(times, boss, time, message):
    with pytest.raises(ValidationError) as caught:
        await times.create(boss, AvailableTimeChanges(time=time))
    assert caught.value.errors == {"time": [message]}


async def test_a_label_of_exactly_50_characters_is_fine(times, boss):
    assert len((await times.create(boss, AvailableTimeChanges(time="x" * 50))).time) == 50


async def test_a_full_update_needs_the_label_and_a_partial_one_does_not(times, boss):
    existing = await times.create(boss, AvailableTimeChanges(time="Mon"))
    with pytest.raises(ValidationError):
        await times.update(boss, existing.id, AvailableTimeChanges(time=None))
    assert (await times.update(boss, existing.id, AvailableTimeChanges(), partial=True)).time == "Mon"


async def test_deleting_a_time_removes_it_from_doctors_offering_it(container, times, boss, catalogue, doctor):
    await times.delete(boss, catalogue.times[0])
    assert (await container.get_doctor()(ANONYMOUS, doctor.doctor_id)).available_time == ()
