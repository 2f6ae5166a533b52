"""Patient use cases on the in-memory adapters: who sees and changes which record, phones, pictures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hospital.application.actor import ANONYMOUS
from hospital.application.appointments import Booking
from hospital.application.errors import AuthenticationError
from hospital.application.pagination import PageRequest
from hospital.application.patients import PROFILE_FOLDER, PatientChanges
from hospital.application.ports.storage import UploadedFile
from hospital.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from tests.support.clinic import Cast, cast
from tests.support.pictures import png_upload

PAGE = PageRequest.of()
ACTORS = ["anonymous", "owner", "other_patient", "doctor", "other_doctor", "admin"]


@pytest.fixture
async def people(container) -> Cast:
    """The cast, with the owner booked with the doctor (so the doctor treats the owner)."""
    people = await cast(container)
    await container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))
    return people


def actor(people: Cast, name: str):
    return ANONYMOUS if name == "anonymous" else people.by_name(name)


async def owners_record(container, people: Cast):
    return await container.get_patient()(people.admin, people.owner.patient_id)


# --- reading and listing ---------------------------------------------------------------------------

READ = {"anonymous": AuthenticationError, "owner": None, "other_patient": NotFoundError, "doctor": None,
        "other_doctor": NotFoundError, "admin": None}


@pytest.mark.parametrize("name", ACTORS)
async def test_who_may_read_a_patient(container, people, name):
    get = container.get_patient()
    if READ[name] is None:
        row = await get(actor(people, name), people.owner.patient_id)
        assert (row.id, row.phone, row.profile) == (people.owner.patient_id, None, None)
        assert row.user.startswith("user")
    else:
        with pytest.raises(READ[name]):
            await get(actor(people, name), people.owner.patient_id)


async def test_a_doctor_no_longer_sees_a_patient_whose_appointments_are_gone(container, people):
    page = await container.list_appointments()(people.owner, page=PAGE)
    await container.delete_appointment()(people.owner, page.items[0].id)
    with pytest.raises(NotFoundError):
        await container.get_patient()(people.doctor, people.owner.patient_id)


async def test_lists_are_scoped_to_the_caller(container, people):
    expected = {
        "owner": [people.owner.patient_id],
        "other_patient": [people.other_patient.patient_id],
        "doctor": sorted([people.owner.patient_id, people.doctor.patient_id]),
        "other_doctor": [people.other_doctor.patient_id],
        "admin": sorted(p.patient_id for p in (people.owner, people.other_patient, people.doctor,
                                               people.other_doctor, people.admin)),
    }
    for name, ids in expected.items():
        page = await container.list_patients()(actor(people, name), page=PAGE)
        assert [row.id for row in page.items] == ids, name
    with pytest.raises(AuthenticationError):
        await container.list_patients()(ANONYMOUS, page=PAGE)


async def test_list_search_and_phone_filter(container, people):
    update = container.update_patient()
    await update(people.owner, people.owner.patient_id, PatientChanges(phone="+8801711"))
    await update(people.other_patient, people.other_patient.patient_id, PatientChanges(phone="01911"))
    listing = container.list_patients()
    # Usernames are numbered (user1711 exists in a long run), so the search text is longer than any number.
    assert [r.id for r in (await listing(people.admin, page=PAGE, search="8801711")).items] == [
        people.owner.patient_id]
    assert [r.id for r in (await listing(people.admin, page=PAGE, phone="01911")).items] == [
        people.other_patient.patient_id]
    # Filters narrow the caller's scope, they do not widen it.
    assert (await listing(people.other_patient, page=PAGE, phone="+8801711")).total == 0
    # Not a phone at all: nothing matches, and that is no error.
    assert (await listing(people.admin, page=PAGE, phone="' OR 1=1 --")).total == 0


# --- creating --------------------------------------------------------------------------------------

async def test_every_registered_user_already_has_a_record(container, people):
    for name in ("owner", "doctor", "admin"):
        with pytest.raises(ValidationError) as error:
            await container.create_patient()(actor(people, name), PatientChanges(phone="123"))
        assert error.value.errors == {"non_field_errors": ["You already have a patient record."]}


async def test_anonymous_cannot_create(container):
    with pytest.raises(AuthenticationError):
        await container.create_patient()(ANONYMOUS, PatientChanges())


async def test_a_user_without_a_record_creates_one_with_phone_and_picture(container, people):
    await container.delete_patient()(people.owner, people.owner.patient_id)
    without = replace(people.owner, patient_id=None)
    row = await container.create_patient()(without, PatientChanges(phone="+880 17-11", profile=png_upload()))
    assert row.phone == "+8801711"
    assert row.profile is not None and row.profile.startswith(f"{PROFILE_FOLDER}/")
    assert row.profile in container.images().files
    assert row.id != people.owner.patient_id


async def test_creating_refuses_a_phone_someone_has(container, people):
    await container.update_patient()(people.other_patient, people.other_patient.patient_id,
                                     PatientChanges(phone="555"))
    await container.delete_patient()(people.owner, people.owner.patient_id)
    with pytest.raises(ValidationError) as error:
        await container.create_patient()(replace(people.owner, patient_id=None),
                                         PatientChanges(phone="555", profile=png_upload()))
    assert error.value.errors == {"phone": ["patient with this phone already exists."]}
    assert container.images().files == {}, "the refused upload was left behind"


async def test_an_existing_record_is_refused_before_the_upload_is_stored(container, people):
    with pytest.raises(ValidationError):
        await container.create_patient()(people.owner, PatientChanges(profile=png_upload()))
    assert container.images().files == {}


# --- changing --------------------------------------------------------------------------------------

CHANGE = {"anonymous": AuthenticationError, "owner": None, "other_patient": NotFoundError,
          "doctor": PermissionDeniedError, "other_doctor": NotFoundError, "admin": None}


@pytest.mark.parametrize("name", ACTORS)
async def test_who_may_change_a_patient(container, people, name):
    before = await owners_record(container, people)
    update = container.update_patient()
    if CHANGE[name] is None:
        assert (await update(actor(people, name), people.owner.patient_id, PatientChanges(phone="777"))).phone == "777"
    else:
        with pytest.raises(CHANGE[name]):
            await update(actor(people, name), people.owner.patient_id, PatientChanges(phone="777"))
        assert await owners_record(container, people) == before


@pytest.mark.parametrize("name", [n for n in ACTORS if CHANGE[n] is not None])
async def test_strangers_uploads_are_refused_before_they_are_stored(container, people, name):
    with pytest.raises(CHANGE[name]):
        await container.update_patient()(actor(people, name), people.owner.patient_id,
                                         PatientChanges(profile=png_upload()))
    assert container.images().files == {}


async def test_a_duplicate_phone_is_a_400_on_phone(container, people):
    update = container.update_patient()
    await update(people.other_patient, people.other_patient.patient_id, PatientChanges(phone="12345"))
    with pytest.raises(ValidationError) as error:
        await update(people.owner, people.owner.patient_id, PatientChanges(phone="12345"))
    assert error.value.errors == {"phone": ["patient with this phone already exists."]}
    # Keeping one's own phone is no duplicate.
    assert (await update(people.other_patient, people.other_patient.patient_id,
                         PatientChanges(phone="12345"))).phone == "12345"


@pytest.mark.parametrize(("phone", "field_error"), [
    ("1234567890123", "Ensure this field has no more than 12 characters."),
    ("12ab", "Enter a valid phone number: digits and an optional leading +."),
    ("' OR 1=1 --", "Enter a valid phone number: digits and an optional leading +."),
])
async def test_invalid_phones_are_refused(container, people, phone, field_error):
    with pytest.raises(ValidationError) as error:
        await container.update_patient()(people.owner, people.owner.patient_id, PatientChanges(phone=phone))
    assert error.value.errors == {"phone": [field_error]}


async def test_an_empty_phone_clears_it_and_none_leaves_it(container, people):
    update = container.update_patient()
    await update(people.owner, people.owner.patient_id, PatientChanges(phone="123"))
    assert (await update(people.owner, people.owner.patient_id, PatientChanges())).phone == "123"
    assert (await update(people.owner, people.owner.patient_id, PatientChanges(phone=""))).phone is None


async def test_a_new_picture_replaces_and_removes_the_old(container, people):
    update = container.update_patient()
    first = (await update(people.owner, people.owner.patient_id, PatientChanges(profile=png_upload()))).profile
    second = (await update(people.owner, people.owner.patient_id, PatientChanges(profile=png_upload()))).profile
    assert first != second
    assert set(container.images().files) == {second}


async def test_a_bad_picture_is_a_400_on_profile_and_changes_nothing(container, people):
    with pytest.raises(ValidationError) as error:
        await container.update_patient()(people.owner, people.owner.patient_id, PatientChanges(
            phone="999", profile=UploadedFile("x.png", "image/png", b"<?php system($_GET['c']); ?>")))
    assert set(error.value.errors) == {"profile"}
    assert (await owners_record(container, people)).phone is None


async def test_a_refused_change_removes_the_stored_upload(container, people):
    update = container.update_patient()
    await update(people.other_patient, people.other_patient.patient_id, PatientChanges(phone="4242"))
    with pytest.raises(ValidationError):
        await update(people.owner, people.owner.patient_id, PatientChanges(phone="4242", profile=png_upload()))
    assert container.images().files == {}


# --- deleting --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ACTORS)
async def test_who_may_delete_a_patient(container, people, name):
    delete = container.delete_patient()
    if CHANGE[name] is None:
        await delete(actor(people, name), people.owner.patient_id)
        with pytest.raises(NotFoundError):
            await owners_record(container, people)
    else:
        with pytest.raises(CHANGE[name]):
            await delete(actor(people, name), people.owner.patient_id)
        await owners_record(container, people)


async def test_deleting_a_patient_deletes_their_appointments_and_picture(container, people):
    await container.update_patient()(people.owner, people.owner.patient_id, PatientChanges(profile=png_upload()))
    await container.delete_patient()(people.admin, people.owner.patient_id)
    assert (await container.list_appointments()(people.admin, page=PAGE)).total == 0
    assert container.images().files == {}
