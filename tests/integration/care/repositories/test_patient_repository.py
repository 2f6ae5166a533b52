"""PatientRepository (the parts this area added) and PatientQueries: one contract, both adapters."""

from __future__ import annotations

import pytest

from hospital.application.pagination import PageRequest
from hospital.application.ports.patients import PatientRow, PatientScope
from hospital.application.ports.unit_of_work import SessionUnavailableError
from hospital.domain.appointments import Appointment
from hospital.domain.errors import ConflictError
from hospital.domain.patients import Patient
from tests.support.actors import register
from tests.support.clinic import Cast, cast


@pytest.fixture
async def people(any_container) -> Cast:
    return await cast(any_container)


async def username(container, user_id: int) -> str:
    async with container.unit_of_work() as uow:
        return (await uow.users.get(user_id)).username


async def set_phone(container, patient_id: int, phone: str | None) -> None:
    async with container.unit_of_work() as uow:
        patient = await uow.patients.get(patient_id)
        patient.phone = phone
        await uow.patients.save(patient)
        await uow.commit()


async def listed(container, scope=None, **filters) -> list[int]:
    page = await container.read_side().patients.list(page=PageRequest.of(), scope=scope, **filters)
    return [row.id for row in page.items]


async def test_phone_taken(any_container, people):
    await set_phone(any_container, people.owner.patient_id, "+8801711")
    async with any_container.unit_of_work() as uow:
        assert await uow.patients.phone_taken("+8801711")
        assert not await uow.patients.phone_taken("+8801711", exclude_id=people.owner.patient_id)
        assert not await uow.patients.phone_taken("8801711")


async def test_save_persists_and_refuses_a_duplicate_phone(any_container, people):
    await set_phone(any_container, people.owner.patient_id, "555")
    with pytest.raises(ConflictError) as error:
        await set_phone(any_container, people.other_patient.patient_id, "555")
    assert set(error.value.errors) == {"phone"}
    async with any_container.unit_of_work() as uow:
        assert (await uow.patients.get(people.other_patient.patient_id)).phone is None
        assert (await uow.patients.get(people.owner.patient_id)).phone == "555"


async def test_many_patients_may_have_no_phone(any_container, people):
    await set_phone(any_container, people.owner.patient_id, None)
    await set_phone(any_container, people.other_patient.patient_id, None)


async def test_add_refuses_a_second_record_for_a_user(any_container, people):
    with pytest.raises(ConflictError):
        async with any_container.unit_of_work() as uow:
            await uow.patients.add(Patient.enrol(user_id=people.owner.user_id))


@pytest.mark.parametrize("patient_id", [0, -1, 2**31, 10**30])
async def test_get_of_an_unstorable_id_is_none(any_container, people, patient_id):
    async with any_container.unit_of_work() as uow:
        assert await uow.patients.get(patient_id) is None


async def test_delete_keeps_the_user(any_container, people):
    owners_name = await username(any_container, people.owner.user_id)
    async with any_container.unit_of_work() as uow:
        await uow.patients.delete(await uow.patients.get(people.owner.patient_id))
        await uow.commit()
    async with any_container.unit_of_work() as uow:
        assert await uow.patients.get(people.owner.patient_id) is None
        assert not await uow.patients.exists(people.owner.patient_id)
        assert await uow.users.username_of(people.owner.user_id) == owners_name
        assert (await uow.users.actor_for(people.owner.user_id)).patient_id is None
    async with any_container.unit_of_work() as uow:
        assert await uow.users.get(people.owner.user_id) is not None


@pytest.mark.parametrize("patient_id", [0, -1, 2**31, 10**30])
async def test_exists_of_an_unstorable_id_is_false(any_container, people, patient_id):
    async with any_container.unit_of_work() as uow:
        assert not await uow.patients.exists(patient_id)
        assert await uow.users.username_of(patient_id) is None


async def test_a_patient_read_first_runs_the_unit_on_the_driver(any_container, people):
    """Patients are written with prepared statements (entity_table.py): a unit that begins with them
    refuses the ORM-served repositories until it ends, but for the reads free of the session."""
    owners_name = await username(any_container, people.owner.user_id)
    async with any_container.unit_of_work() as uow:
        patient = await uow.patients.get_by_user(people.owner.user_id)
        assert patient.id == people.owner.patient_id
        assert await uow.users.username_of(people.owner.user_id) == owners_name
        assert await uow.patients.exists(patient.id)
        with pytest.raises(SessionUnavailableError):
            await uow.revoked_tokens.is_revoked("0" * 32)
        assert (await uow.users.get(people.owner.user_id)).username == owners_name  # on the driver too
        patient.phone = "+8801722"
        await uow.patients.save(patient)
        assert await uow.patients.phone_taken("+8801722")  # its own write, in its transaction
        await uow.commit()
        assert not await uow.revoked_tokens.is_revoked("0" * 32)  # available again
    async with any_container.unit_of_work() as uow:
        assert (await uow.patients.get(people.owner.patient_id)).phone == "+8801722"


async def test_a_unit_that_used_the_orm_first_writes_its_patient_in_the_same_transaction(any_container, people):
    """The ORM first (a token's check), then the profile and the patient, in one transaction (rolled
    back as one)."""
    async with any_container.unit_of_work() as uow:
        assert not await uow.revoked_tokens.is_revoked("0" * 32)
        details = await uow.profiles.get_by_user(people.owner.user_id)
        details.user.rename(first_name="Renamed")
        await uow.profiles.save(details)
        patient = await uow.patients.get(people.owner.patient_id)
        patient.phone = "+8801733"
        await uow.patients.save(patient)
        assert (await uow.users.get(people.owner.user_id)).first_name == "Renamed"
        await uow.rollback()
    async with any_container.unit_of_work() as uow:
        assert (await uow.patients.get(people.owner.patient_id)).phone is None
    async with any_container.unit_of_work() as uow:
        assert (await uow.users.get(people.owner.user_id)).first_name != "Renamed"


# --- the list query --------------------------------------------------------------------------------

async def test_rows_carry_the_username(any_container, people):
    await set_phone(any_container, people.owner.patient_id, "123")
    async with any_container.unit_of_work() as uow:
        user = await uow.users.get(people.owner.user_id)
        scope = PatientScope(patient_id=people.owner.patient_id)
        page = await any_container.read_side().patients.list(page=PageRequest.of(), scope=scope)
    assert page.items == [PatientRow(id=people.owner.patient_id, user=user.username, phone="123", profile=None)]


async def test_scopes(any_container, people):
    async with any_container.unit_of_work() as uow:
        await uow.appointments.add(Appointment.book(
            people.owner.patient_id, people.doctor.doctor_id, people.doctor_times[0], "Online", "",
            people.doctor_times))
        await uow.commit()
    everyone = sorted(p.patient_id for p in (people.owner, people.other_patient, people.doctor, people.other_doctor,
                                             people.admin))
    assert await listed(any_container) == everyone
    assert await listed(any_container, PatientScope(patient_id=people.owner.patient_id)) == [people.owner.patient_id]
    assert await listed(any_container, PatientScope(doctor_id=people.doctor.doctor_id)) == [people.owner.patient_id]
    assert await listed(any_container, PatientScope(patient_id=people.doctor.patient_id,
                                                    doctor_id=people.doctor.doctor_id)) == sorted(
        [people.owner.patient_id, people.doctor.patient_id])
    assert await listed(any_container, PatientScope(doctor_id=people.other_doctor.doctor_id)) == []
    assert await listed(any_container, PatientScope()) == []


async def test_search_matches_id_username_and_phone_ignoring_case(any_container):
    alice = await register(any_container, "AliceSearch")
    bob = await register(any_container, "bob_search")
    await set_phone(any_container, bob.patient_id, "+77123")
    assert await listed(any_container, search="alicesearch") == [alice.patient_id]
    assert await listed(any_container, search="SEARCH") == [alice.patient_id, bob.patient_id]
    assert await listed(any_container, search="7712") == [bob.patient_id]
    assert alice.patient_id in await listed(any_container, search=str(alice.patient_id))


@pytest.mark.parametrize(("search", "expected"), [
    # Usernames cannot hold "%"; as a wildcard it would match everyone.
    ("%", []), ("_", ["under_score"]), ("r_s", ["under_score"]), ("%score", []),
    ("' OR 1=1 --", []), ("\\", []), ("ünï", ["ünïcode"]),
    ("", ["under_score", "underXscore", "ünïcode", "plain"]),
])
async def test_search_takes_any_text_literally(any_container, search, expected):
    names = ["under_score", "underXscore", "ünïcode", "plain"]
    ids = {name: (await register(any_container, name)).patient_id for name in names}
    assert await listed(any_container, search=search) == [ids[name] for name in expected]


async def test_phone_filter_is_exact(any_container, people):
    await set_phone(any_container, people.owner.patient_id, "+8801711")
    await set_phone(any_container, people.other_patient.patient_id, "8801711")
    assert await listed(any_container, phone="+8801711") == [people.owner.patient_id]
    assert await listed(any_container, phone="8801711") == [people.other_patient.patient_id]
    assert await listed(any_container, phone="801711") == []
    assert await listed(any_container, phone="%") == []


async def test_one_is_read_within_the_scope_as_the_list_shows_it(any_container, people):
    async with any_container.unit_of_work() as uow:
        await uow.appointments.add(Appointment.book(
            people.owner.patient_id, people.doctor.doctor_id, people.doctor_times[0], "Online", "",
            people.doctor_times))
        await uow.commit()
    reads = any_container.read_side().patients
    owner = people.owner.patient_id
    (row,) = (await reads.list(page=PageRequest.of(), scope=PatientScope(patient_id=owner))).items
    assert await reads.get(owner, scope=None) == row
    assert await reads.get(owner, scope=PatientScope(patient_id=owner)) == row
    assert await reads.get(owner, scope=PatientScope(doctor_id=people.doctor.doctor_id)) == row  # treats them
    assert await reads.get(owner, scope=PatientScope(doctor_id=people.other_doctor.doctor_id)) is None
    assert await reads.get(people.other_patient.patient_id, scope=PatientScope(patient_id=owner)) is None
    assert await reads.get(owner, scope=PatientScope()) is None
    assert [await reads.get(wanted, scope=None) for wanted in (0, 987654, 2**31, 10**30)] == [None] * 4
