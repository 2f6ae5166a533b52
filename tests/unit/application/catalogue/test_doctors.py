"""Doctors: public reads with names resolved; admins create and delete; the doctor or an admin updates."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.application.actor import ANONYMOUS
from hospital.application.doctors import DoctorChanges
from hospital.application.errors import AuthenticationError
from hospital.application.pagination import PageRequest
from hospital.application.ports.catalogue import DoctorFilters
from hospital.domain.doctors import FEE_MAX
from hospital.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from tests.support.actors import actor_of, register
from tests.support.catalogue import doctor_changes, make_doctor
from tests.support.images import fake_image_upload, png_upload

UNKNOWN = 'Invalid pk "{}" - object does not exist.'
FIRST_PAGE = PageRequest.of(1, 100)


@pytest.fixture
def doctors(container):
    class Doctors:
        list = container.list_doctors()
        get = container.get_doctor()
        create = container.create_doctor()
        update = container.update_doctor()
        delete = container.delete_doctor()

    return Doctors


async def count(doctors) -> int:
    return (await doctors.list(ANONYMOUS, page=FIRST_PAGE)).total


# reading: anyone


async def test_anyone_reads_a_doctor_with_the_names_resolved(doctors, doctor, everyone):
    for actor in everyone.values():
        view = await doctors.get(actor, doctor.doctor_id)
        assert (view.user, view.user_id, view.designation, view.specialisation, view.fee) == (
            "Gregory House", doctor.user_id, ("Senior Consultant",), ("Cardiology",), 500,
        )
        page = await doctors.list(actor, page=FIRST_PAGE)
        assert [v.id for v in page.items] == [doctor.doctor_id]


async def test_the_user_is_named_by_username_when_they_gave_no_name(container, doctors, boss, catalogue):
    _, view = await make_doctor(container, boss, catalogue, first_name="", last_name="")
    assert view.user.startswith("user")


async def test_names_and_ids_come_in_id_order(container, doctors, boss, catalogue):
    _, view = await make_doctor(
        container, boss, catalogue, designation=tuple(reversed(catalogue.designations)),
        available_time=tuple(reversed(catalogue.times)),
    )
    assert view.designation == ("Senior Consultant", "Resident")
    assert view.available_time == catalogue.times


async def test_an_unknown_doctor_is_not_found(doctors):
    with pytest.raises(NotFoundError):
        await doctors.get(ANONYMOUS, 404)


async def test_the_list_is_paginated_by_id(container, doctors, boss, catalogue):
    made = [(await make_doctor(container, boss, catalogue))[1].id for _ in range(3)]
    page = await doctors.list(ANONYMOUS, page=PageRequest.of(2, 2))
    assert ([v.id for v in page.items], page.total, page.has_previous, page.has_next) == (made[2:], 3, True, False)


async def test_the_list_filters_by_each_id_and_the_fee(container, doctors, boss, catalogue):
    d, s, t = catalogue.designations, catalogue.specialisations, catalogue.times
    _, first = await make_doctor(container, boss, catalogue, fee=100)
    _, second = await make_doctor(container, boss, catalogue, designation=(d[1],), specialisation=(s[1],),
                                  available_time=(t[0], t[1]), fee=200)

    async def ids(**filters) -> list[int]:
        page = await doctors.list(ANONYMOUS, page=FIRST_PAGE, filters=DoctorFilters(**filters))
        return [view.id for view in page.items]

    assert await ids(designation=(d[1],)) == [second.id]
    assert await ids(specialisation=(s[0],)) == [first.id]
    assert await ids(available_time=(t[0],)) == [first.id, second.id]
    assert await ids(available_time=(t[1],)) == [second.id]
    assert await ids(fee=100) == [first.id]
    assert await ids(designation=(d[0], d[1])) == [first.id, second.id]
    assert await ids(designation=(d[1],), fee=100) == []
    assert await ids(designation=(999,)) == []


# creating: admins only


async def test_anonymous_callers_must_authenticate_to_create(doctors, catalogue):
    with pytest.raises(AuthenticationError):
        await doctors.create(ANONYMOUS, doctor_changes(catalogue))


async def test_patients_and_doctors_may_not_create(container, doctors, catalogue, non_admins):
    before = await count(doctors)
    for actor in non_admins.values():
        with pytest.raises(PermissionDeniedError):
            await doctors.create(actor, doctor_changes(catalogue))
        with pytest.raises(PermissionDeniedError):
            await doctors.create(actor, doctor_changes(catalogue, user=actor.user_id))
    assert await count(doctors) == before


async def test_an_admin_creates_a_record_for_themself_by_default(container, doctors, boss, catalogue):
    view = await doctors.create(boss, doctor_changes(catalogue))
    assert view.user_id == boss.user_id
    assert (await actor_of(container, boss.user_id)).doctor_id == view.id


async def test_an_admin_may_name_another_user(container, doctors, boss, catalogue):
    user = await register(container, first_name="Lisa", last_name="Cuddy")
    view = await doctors.create(boss, doctor_changes(catalogue, user=user.user_id))
    assert (view.user_id, view.user) == (user.user_id, "Lisa Cuddy")


async def test_a_user_has_one_doctor_record_at_most(doctors, boss, catalogue, doctor):
    before = await count(doctors)
    with pytest.raises(ValidationError) as caught:
        await doctors.create(boss, doctor_changes(catalogue, user=doctor.user_id))
    assert caught.value.errors == {"user": ["doctor with this user already exists."]}
    assert await count(doctors) == before


async def test_an_unknown_user_is_refused(doctors, boss, catalogue):
    with pytest.raises(ValidationError) as caught:
        await doctors.create(boss, doctor_changes(catalogue, user=999))
    assert caught.value.errors == {"user": [UNKNOWN.format(999)]}


@pytest.mark.parametrize("field", ["designation", "specialisation", "available_time"])
async def test_unknown_ids_are_refused_naming_the_field(doctors, boss, catalogue, field):
    known = getattr(catalogue, {"designation": "designations", "specialisation": "specialisations",
                                "available_time": "times"}[field])[0]
    changes = doctor_changes(catalogue, **{field: (known, 99, 98)})
    with pytest.raises(ValidationError) as caught:
        await doctors.create(boss, changes)
    assert caught.value.errors == {field: [UNKNOWN.format(99), UNKNOWN.format(98)]}
    assert await count(doctors) == 0


async def test_every_field_is_required_on_create(doctors, boss):
    with pytest.raises(ValidationError) as caught:
        await doctors.create(boss, DoctorChanges())
    assert caught.value.errors == {name: ["This field is required."]
                                   for name in ("designation", "specialisation", "available_time", "fee")}


async def test_every_problem_is_reported_at_once(doctors, boss, catalogue, doctor):
    changes = doctor_changes(catalogue, user=doctor.user_id, fee=-1, meet_link="http://x.example.com",
                             designation=(77,), specialisation=())
    with pytest.raises(ValidationError) as caught:
        await doctors.create(boss, changes)
    assert set(caught.value.errors) == {"user", "fee", "meet_link", "designation", "specialisation"}


@pytest.mark.parametrize("fee", [-1, -500, FEE_MAX + 1])
async def test_a_fee_out_of_range_is_refused(doctors, boss, catalogue, fee):
    with pytest.raises(ValidationError) as caught:
        await doctors.create(boss, doctor_changes(catalogue, fee=fee))
    assert list(caught.value.errors) == ["fee"]


@given(fee=st.integers(min_value=0, max_value=FEE_MAX))
async def test_any_fee_from_zero_up_is_kept(container, boss, catalogue, fee):
    user = await register(container)
    view = await container.create_doctor()(boss, doctor_changes(catalogue, user=user.user_id, fee=fee))
    assert view.fee == fee


@pytest.mark.parametrize("link", ["http://meet.example.com", "ftp://x.example.com", "https://", "meet.example.com",
                                  "https://meet.example.com/<script>", "https://localhost/room"])
async def test_the_meet_link_must_be_an_https_url(doctors, boss, catalogue, link):
    with pytest.raises(ValidationError) as caught:
        await doctors.create(boss, doctor_changes(catalogue, meet_link=link))
    assert caught.value.errors == {"meet_link": ["Enter a valid https URL."]}


async def test_the_meet_link_may_be_empty_or_left_out(doctors, boss, catalogue):
    assert (await doctors.create(boss, doctor_changes(catalogue, meet_link=None))).meet_link == ""


# the profile picture


async def test_a_profile_picture_is_stored_under_a_server_made_name(container, doctors, boss, catalogue):
    view = await doctors.create(boss, doctor_changes(catalogue, profile=png_upload("../../evil.php")))
    assert view.profile is not None and view.profile.startswith("doctors/") and view.profile.endswith(".png")
    assert list(container.images().files) == [view.profile]


async def test_a_file_that_is_no_image_is_refused_and_nothing_is_kept(container, doctors, boss, catalogue):
    with pytest.raises(ValidationError) as caught:
        await doctors.create(boss, doctor_changes(catalogue, profile=fake_image_upload()))
    assert list(caught.value.errors) == ["profile"]
    assert (await count(doctors), container.images().files) == (0, {})


async def test_a_refused_create_stores_no_picture(container, doctors, boss, catalogue):
    with pytest.raises(ValidationError):
        await doctors.create(boss, doctor_changes(catalogue, designation=(99,), profile=png_upload()))
    assert container.images().files == {}


async def test_a_new_picture_replaces_the_old_one(container, doctors, boss, catalogue):
    first = await doctors.create(boss, doctor_changes(catalogue, profile=png_upload()))
    second = await doctors.update(boss, first.id, DoctorChanges(profile=png_upload()), partial=True)
    assert second.profile != first.profile
    assert list(container.images().files) == [second.profile]


async def test_a_refused_update_keeps_the_old_picture_and_stores_no_new_one(container, doctors, boss, catalogue):
    first = await doctors.create(boss, doctor_changes(catalogue, profile=png_upload()))
    with pytest.raises(ValidationError):
        await doctors.update(boss, first.id, DoctorChanges(fee=-1, profile=png_upload()), partial=True)
    assert list(container.images().files) == [first.profile]
    assert (await doctors.get(boss, first.id)).profile == first.profile


# updating: the doctor themself or an admin


async def test_anonymous_callers_must_authenticate_to_update(doctors, doctor):
    for doctor_id in (doctor.doctor_id, 999):
        with pytest.raises(AuthenticationError):
            await doctors.update(ANONYMOUS, doctor_id, DoctorChanges(fee=1), partial=True)


async def test_a_patient_or_another_doctor_may_not_update(container, doctors, boss, catalogue, patient, doctor):
    other, _ = await make_doctor(container, boss, catalogue)
    for actor in (patient, other):
        with pytest.raises(PermissionDeniedError):
            await doctors.update(actor, doctor.doctor_id, DoctorChanges(fee=1), partial=True)
    assert (await doctors.get(ANONYMOUS, doctor.doctor_id)).fee == 500


async def test_an_unknown_doctor_is_not_found_for_anyone_signed_in(doctors, boss, patient):
    for actor in (boss, patient):
        with pytest.raises(NotFoundError):
            await doctors.update(actor, 999, DoctorChanges(fee=1), partial=True)


async def test_the_doctor_updates_their_own_record(doctors, catalogue, doctor):
    d, s, t = catalogue.designations, catalogue.specialisations, catalogue.times
    view = await doctors.update(doctor, doctor.doctor_id, DoctorChanges(
        designation=(d[1],), specialisation=(s[0], s[1]), available_time=(t[1],), fee=0,
        meet_link="",
    ))
    assert (view.designation, view.specialisation, view.available_time, view.fee, view.meet_link) == (
        ("Resident",), ("Cardiology", "Neurology"), (t[1],), 0, "",
    )


async def test_an_admin_updates_any_record(doctors, boss, doctor):
    assert (await doctors.update(boss, doctor.doctor_id, DoctorChanges(fee=42), partial=True)).fee == 42


async def test_a_full_update_needs_the_lists_and_the_fee(doctors, doctor):
    with pytest.raises(ValidationError) as caught:
        await doctors.update(doctor, doctor.doctor_id, DoctorChanges(fee=1))
    assert caught.value.errors == {name: ["This field is required."]
                                   for name in ("designation", "specialisation", "available_time")}


async def test_a_partial_update_changes_only_what_is_sent(doctors, doctor):
    before = await doctors.get(ANONYMOUS, doctor.doctor_id)
    after = await doctors.update(doctor, doctor.doctor_id, DoctorChanges(meet_link="https://zoom.example.org/1"),
                                 partial=True)
    assert after == dataclasses.replace(before, meet_link="https://zoom.example.org/1")


async def test_an_update_checks_the_same_rules(doctors, doctor):
    for changes, field in ((DoctorChanges(fee=-1), "fee"), (DoctorChanges(meet_link="http://x.example.com"),
                           "meet_link"), (DoctorChanges(designation=(404,)), "designation"),
                           (DoctorChanges(available_time=()), "available_time")):
        with pytest.raises(ValidationError) as caught:
            await doctors.update(doctor, doctor.doctor_id, changes, partial=True)
        assert list(caught.value.errors) == [field]
    assert (await doctors.get(ANONYMOUS, doctor.doctor_id)).fee == 500


async def test_a_doctor_may_not_move_their_record_to_another_user(doctors, doctor, patient):
    with pytest.raises(PermissionDeniedError):
        await doctors.update(doctor, doctor.doctor_id, DoctorChanges(user=patient.user_id), partial=True)
    # Sending their own id back is no change, so it is accepted.
    view = await doctors.update(doctor, doctor.doctor_id, DoctorChanges(user=doctor.user_id), partial=True)
    assert view.user_id == doctor.user_id


async def test_an_admin_may_move_a_record_to_a_user_who_is_not_a_doctor(container, doctors, boss, catalogue,
                                                                         doctor, patient):
    other, _ = await make_doctor(container, boss, catalogue)
    with pytest.raises(ValidationError) as caught:
        await doctors.update(boss, doctor.doctor_id, DoctorChanges(user=other.user_id), partial=True)
    assert list(caught.value.errors) == ["user"]
    with pytest.raises(ValidationError) as caught:
        await doctors.update(boss, doctor.doctor_id, DoctorChanges(user=999), partial=True)
    assert caught.value.errors == {"user": [UNKNOWN.format(999)]}
    view = await doctors.update(boss, doctor.doctor_id, DoctorChanges(user=patient.user_id), partial=True)
    assert view.user_id == patient.user_id


# deleting: admins only


async def test_only_an_admin_deletes_a_doctor_and_their_picture(container, doctors, boss, catalogue, patient):
    actor, view = await make_doctor(container, boss, catalogue, profile=png_upload())
    with pytest.raises(AuthenticationError):
        await doctors.delete(ANONYMOUS, view.id)
    for someone in (patient, actor):
        with pytest.raises(PermissionDeniedError):
            await doctors.delete(someone, view.id)
    await doctors.delete(boss, view.id)
    with pytest.raises(NotFoundError):
        await doctors.get(ANONYMOUS, view.id)
    assert container.images().files == {}
    with pytest.raises(NotFoundError):
        await doctors.delete(boss, view.id)
