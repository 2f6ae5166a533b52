"""The doctor list's encoded pages are reused only while nothing they show has changed.

Writes go through ``direct``, a second container with its own engine on the same database: the way
another worker, or an admin's tool, changes data behind this worker's cache. The database's
triggers (migration 0003) move the version whoever writes.
"""

from __future__ import annotations

import pytest

from hospital.application.doctors import DoctorChanges
from hospital.application.profiles import ProfileChanges
from hospital.application.taxonomy import TaxonChanges
from tests.support.actors import actor_of
from tests.support.catalogue import doctor_changes
from tests.support.http import login_over_http

PATH = "/doctors/?limits=10"


def _cache(client):
    return client.app.state.response_cache


async def _page(client) -> dict:
    response = await client.get(PATH)
    assert response.status_code == 200
    return response.json()


async def _rename_user(direct, boss, doctor_caller):
    actor = await actor_of(direct, doctor_caller.user_id)
    profile = await direct.get_my_profile()(actor)
    await direct.update_profile()(actor, profile.id, ProfileChanges(first_name="Greg"))


async def _second_doctor(direct, boss, catalogue):
    from tests.support.actors import register

    other = await register(direct, first_name="Lisa", last_name="Cuddy")
    await direct.create_doctor()(boss, doctor_changes(catalogue, user=other.user_id))


WRITES = {
    "a new doctor": (
        lambda direct, boss, catalogue, caller: _second_doctor(direct, boss, catalogue),
        lambda page: page["count"] == 2,
    ),
    "the doctor's fee": (
        lambda direct, boss, catalogue, caller: direct.update_doctor()(
            boss, caller.doctor_id, DoctorChanges(fee=750), partial=True),
        lambda page: page["results"][0]["fee"] == 750,
    ),
    "the doctor's designations": (
        lambda direct, boss, catalogue, caller: direct.update_doctor()(
            boss, caller.doctor_id, DoctorChanges(designation=catalogue.designations), partial=True),
        lambda page: page["results"][0]["designation"] == ["Senior Consultant", "Resident"],
    ),
    "a designation's name": (
        lambda direct, boss, catalogue, caller: direct.update_designation()(
            boss, catalogue.designations[0], TaxonChanges(name="Chief of Medicine")),
        lambda page: page["results"][0]["designation"] == ["Chief of Medicine"],
    ),
    "a specialisation deleted": (
        lambda direct, boss, catalogue, caller: direct.delete_specialisation()(boss, catalogue.specialisations[0]),
        lambda page: page["results"][0]["specialisation"] == [],
    ),
    "an available time deleted": (
        lambda direct, boss, catalogue, caller: direct.delete_available_time()(boss, catalogue.times[0]),
        lambda page: page["results"][0]["available_time"] == [],
    ),
    "the doctor's user's name": (
        lambda direct, boss, catalogue, caller: _rename_user(direct, boss, caller),
        lambda page: page["results"][0]["user"] == "Greg House",
    ),
    "the doctor deleted": (
        lambda direct, boss, catalogue, caller: direct.delete_doctor()(boss, caller.doctor_id),
        lambda page: page["count"] == 0 and page["results"] == [],
    ),
}


@pytest.mark.parametrize("change", list(WRITES))
async def test_a_cached_page_is_not_served_after_a_write_it_shows(client, direct, boss, catalogue, doctor_caller,
                                                                  change):
    write, shows = WRITES[change]
    before = await _page(client)
    assert await _page(client) == before and _cache(client).size > 0  # kept, and answered from the cache
    assert not shows(before)
    await write(direct, boss, catalogue, doctor_caller)
    assert shows(await _page(client))


async def test_writes_that_no_doctor_shows_leave_the_version_alone(client, direct, boss, catalogue, doctor_caller,
                                                                   patient_caller, database_url):
    version = await direct.doctor_views_version()()
    await direct.create_designation()(boss, TaxonChanges(name="Registrar"))  # linked to no doctor yet
    async with direct.unit_of_work() as uow:
        user = await uow.users.get(doctor_caller.user_id)
    await login_over_http(client, user.username)  # the login writes the user's last_login
    response = await client.post("/appointments/", headers=patient_caller.headers, json={
        "doctor": doctor_caller.doctor_id, "appointment_type": "Online", "time": catalogue.times[0],
    })
    assert response.status_code == 201
    assert await direct.doctor_views_version()() == version


async def test_the_same_page_under_another_host_or_query_is_its_own_entry(client, doctor_caller):
    plain = (await client.get("/doctors/")).json()
    other_host = (await client.get("/doctors/", headers={"host": "clinic.example.org"})).json()
    assert plain == other_host  # no links or pictures here: the same data, kept apart anyway
    first = await client.get("/doctors/?limits=1&fee=500")
    reordered = await client.get("/doctors/?fee=500&limits=1")
    assert first.json() == reordered.json()


async def test_with_the_cache_switched_off_lists_still_follow_writes(tmp_path, database_url, direct, boss, catalogue,
                                                                     doctor_caller):
    from tests.conftest import make_settings
    from tests.support.apps import app_client

    async with app_client(make_settings(tmp_path, database_url=database_url, response_cache_bytes=0)) as client:
        assert _cache(client) is None
        assert (await _page(client))["results"][0]["fee"] == 500
        await direct.update_doctor()(boss, doctor_caller.doctor_id, DoctorChanges(fee=900), partial=True)
        assert (await _page(client))["results"][0]["fee"] == 900
