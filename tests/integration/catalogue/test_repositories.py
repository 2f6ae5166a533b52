"""Repository contract: the in-memory and SQLAlchemy catalogue repositories behave the same.

Every test runs on every backend (tests/support/backends.py: in memory, SQLite, and PostgreSQL with
HOSPITAL_TEST_DATABASE_URL), each wired as production wires it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hospital.application.pagination import InvalidPageError, PageRequest
from hospital.application.ports.catalogue import (
    AvailableTimeView,
    DoctorFilters,
    DuplicateDoctorError,
    DuplicateSlugError,
    TaxonView,
)
from hospital.application.ports.unit_of_work import SessionUnavailableError
from hospital.bootstrap import Container
from hospital.domain.catalogue import MedicalService
from hospital.domain.contacts import Contact
from hospital.domain.doctors import Doctor
from hospital.domain.schedules import AvailableTime
from hospital.domain.taxonomy import Designation, Specialisation
from hospital.domain.users import User
from tests.support.actors import unique_username

HUGE = 2**40  # more than any INTEGER column holds


@pytest.fixture
def store(any_container: Container) -> Container:
    return any_container


@pytest.fixture(params=[("designations", Designation), ("specialisations", Specialisation)],
                ids=["designations", "specialisations"])
def taxa(request: pytest.FixtureRequest) -> tuple[str, type]:
    return request.param


async def add_user(store: Container, first_name: str = "", last_name: str = "") -> int:
    user = User.register(username=unique_username(), email="u@example.com", first_name=first_name, last_name=last_name,
                         password_hash="x", joined_at=datetime.now(UTC))
    async with store.unit_of_work() as uow:
        await uow.users.add(user)
        await uow.commit()
    assert user.id is not None
    return user.id


async def add_all(store: Container, repository: str, *entities) -> list[int]:
    async with store.unit_of_work() as uow:
        for entity in entities:
            await getattr(uow, repository).add(entity)
        await uow.commit()
    return [entity.id for entity in entities]


async def add_doctor(store: Container, *, designations=(), specialisations=(), times=(), fee=100,
                     first_name="Greg", last_name="House") -> int:
    user_id = await add_user(store, first_name, last_name)
    doctor = Doctor(user_id=user_id, designation_ids=list(designations), specialisation_ids=list(specialisations),
                    available_time_ids=list(times), fee=fee, meet_link="", profile="doctors/a.png")
    (doctor_id,) = await add_all(store, "doctors", doctor)
    return doctor_id


# designations and specialisations


async def test_taxa_are_added_read_and_listed_by_id(store, taxa):
    repository, entity = taxa
    ids = await add_all(store, repository, entity(name="Zeta", slug="zeta"), entity(name="Alpha", slug="alpha"))
    async with store.unit_of_work() as uow:
        one = await getattr(uow, repository).get(ids[1])
        missing = [await getattr(uow, repository).get(pk) for pk in (999, -1, HUGE)]
    assert (type(one), one.name, one.slug) == (entity, "Alpha", "alpha")
    assert missing == [None, None, None]
    reads = getattr(store.read_side(), repository)
    assert await reads.list() == [TaxonView(ids[0], "Zeta", "zeta"), TaxonView(ids[1], "Alpha", "alpha")]
    assert await reads.get(ids[1]) == TaxonView(ids[1], "Alpha", "alpha")
    assert [await reads.get(pk) for pk in (999, -1, HUGE)] == [None, None, None]


async def test_slug_taken_can_leave_one_out(store, taxa):
    repository, entity = taxa
    (pk,) = await add_all(store, repository, entity(name="A", slug="a"))
    async with store.unit_of_work() as uow:
        repo = getattr(uow, repository)
        assert await repo.slug_taken("a") is True
        assert await repo.slug_taken("a", exclude_id=pk) is False
        assert await repo.slug_taken("b") is False


async def test_a_taken_slug_is_refused_on_add_and_save(store, taxa):
    repository, entity = taxa
    ids = await add_all(store, repository, entity(name="A", slug="a"), entity(name="B", slug="b"))
    with pytest.raises(DuplicateSlugError) as caught:
        await add_all(store, repository, entity(name="A2", slug="a"))
    assert list(caught.value.errors) == ["slug"]
    with pytest.raises(DuplicateSlugError):
        async with store.unit_of_work() as uow:
            taxon = await getattr(uow, repository).get(ids[1])
            taxon.slug = "a"
            await getattr(uow, repository).save(taxon)
            await uow.commit()
    assert [t.slug for t in await getattr(store.read_side(), repository).list()] == ["a", "b"]


async def test_saved_changes_last_and_uncommitted_ones_do_not(store, taxa):
    repository, entity = taxa
    (pk,) = await add_all(store, repository, entity(name="A", slug="a"))
    async with store.unit_of_work() as uow:
        taxon = await getattr(uow, repository).get(pk)
        taxon.update(name="Renamed", slug="renamed")
        await getattr(uow, repository).save(taxon)
        await uow.commit()
    async with store.unit_of_work() as uow:
        taxon = await getattr(uow, repository).get(pk)
        taxon.update(name="Not kept")
        await getattr(uow, repository).save(taxon)
        await getattr(uow, repository).add(entity(name="Not kept either", slug="gone"))
    assert [(t.name, t.slug) for t in await getattr(store.read_side(), repository).list()] == [("Renamed", "renamed")]


async def test_existing_ids_tells_which_exist(store, taxa):
    repository, entity = taxa
    ids = await add_all(store, repository, entity(name="A", slug="a"), entity(name="B", slug="b"))
    async with store.unit_of_work() as uow:
        repo = getattr(uow, repository)
        assert await repo.existing_ids([ids[1], 999, -5, HUGE, ids[0]]) == set(ids)
        assert await repo.existing_ids([]) == set()


async def test_deleting_a_taxon_unlinks_it_from_doctors(store, taxa):
    repository, entity = taxa
    kept, gone = await add_all(store, repository, entity(name="Kept", slug="kept"), entity(name="Gone", slug="gone"))
    links = {"designations": "designations", "specialisations": "specialisations"}[repository]
    doctor_id = await add_doctor(store, **{links: (kept, gone)})
    async with store.unit_of_work() as uow:
        await getattr(uow, repository).delete(await getattr(uow, repository).get(gone))
        await uow.commit()
    async with store.unit_of_work() as uow:
        doctor = await uow.doctors.get(doctor_id)
        view = await uow.doctor_reads.get(doctor_id)
        assert await getattr(uow, repository).get(gone) is None
    attribute = {"designations": "designation_ids", "specialisations": "specialisation_ids"}[repository]
    assert getattr(doctor, attribute) == [kept]
    assert getattr(view, repository[:-1]) == ("Kept",)


# available times


async def test_times_are_listed_by_id_and_filtered_by_one_id(store):
    ids = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"))
    async with store.unit_of_work() as uow:
        repo = uow.available_times
        assert (await repo.get(ids[0])).time == "Mon"
        assert await repo.get(HUGE) is None
        assert await repo.existing_ids([ids[0], 999]) == {ids[0]}
    reads = store.read_side().available_times
    assert await reads.list() == [AvailableTimeView(ids[0], "Mon"), AvailableTimeView(ids[1], "Tue")]
    assert await reads.list(time_id=ids[1]) == [AvailableTimeView(ids[1], "Tue")]
    assert await reads.list(time_id=999) == await reads.list(time_id=HUGE) == []
    assert await reads.get(ids[0]) == AvailableTimeView(ids[0], "Mon")
    assert await reads.get(HUGE) is None


async def test_times_are_saved_and_deleting_one_unlinks_it_from_doctors(store):
    kept, gone = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"))
    doctor_id = await add_doctor(store, times=(kept, gone))
    async with store.unit_of_work() as uow:
        time = await uow.available_times.get(kept)
        time.update(time="Monday")
        await uow.available_times.save(time)
        await uow.available_times.delete(await uow.available_times.get(gone))
        await uow.commit()
    assert [t.time for t in await store.read_side().available_times.list()] == ["Monday"]
    async with store.unit_of_work() as uow:
        assert (await uow.doctors.get(doctor_id)).available_time_ids == [kept]


# medical services and contacts: plain tables


@pytest.mark.parametrize(("repository", "make", "change"), [
    ("medical_services", lambda n: MedicalService(name=f"N{n}", description="d", image=f"services/{n}.png"),
     lambda s: s.update(name="Changed", image="services/new.png")),
    ("contacts", lambda n: Contact(name=f"N{n}", phone="123", massage="m"),
     lambda c: c.update(name="Changed", phone="+45")),
], ids=["medical_services", "contacts"])
async def test_plain_tables_add_get_list_save_delete(store, repository, make, change):
    ids = await add_all(store, repository, make(1), make(2))
    reads = getattr(store.read_side(), repository)
    assert [(e.id, e.name) for e in await reads.list()] == [(ids[0], "N1"), (ids[1], "N2")]
    async with store.unit_of_work() as uow:
        repo = getattr(uow, repository)
        entity = await repo.get(ids[0])
        change(entity)
        await repo.save(entity)
        await repo.delete(await repo.get(ids[1]))
        await uow.commit()
    async with store.unit_of_work() as uow:
        repo = getattr(uow, repository)
        assert await repo.get(ids[1]) is None
        assert await repo.get(HUGE) is None
    listed = await reads.list()
    assert [(e.id, e.name) for e in listed] == [(ids[0], "Changed")]
    assert await reads.get(ids[0]) == listed[0]
    assert await reads.get(ids[1]) is None
    assert await reads.get(HUGE) is None
    if repository == "medical_services":
        assert listed[0].image == "services/new.png"
    else:
        assert (listed[0].phone, listed[0].massage) == ("+45", "m")


# doctors, write side


async def test_doctors_keep_their_id_lists(store):
    d = await add_all(store, "designations", Designation(name="D1", slug="d1"), Designation(name="D2", slug="d2"))
    t = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"))
    doctor_id = await add_doctor(store, designations=(d[1], d[0]), times=(t[0],))
    async with store.unit_of_work() as uow:
        doctor = await uow.doctors.get(doctor_id)
        assert (sorted(doctor.designation_ids), doctor.available_time_ids, doctor.fee) == (d, [t[0]], 100)
        assert (await uow.doctors.get_by_user(doctor.user_id)).id == doctor_id
        doctor.update(designation_ids=[d[1]], available_time_ids=[t[1], t[0]], fee=7)
        await uow.doctors.save(doctor)
        await uow.commit()
    async with store.unit_of_work() as uow:
        doctor = await uow.doctors.get(doctor_id)
        assert (doctor.designation_ids, sorted(doctor.available_time_ids), doctor.fee) == ([d[1]], t, 7)
        assert await uow.doctors.get(HUGE) is None
        assert await uow.doctors.get_by_user(HUGE) is None
        await uow.doctors.delete(doctor)
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.doctors.get(doctor_id) is None
        assert await uow.doctor_reads.get(doctor_id) is None


async def test_a_doctor_read_for_change_brings_its_views_names_until_its_labels_change(store):
    d = await add_all(store, "designations", Designation(name="D1", slug="d1"), Designation(name="D2", slug="d2"))
    s = await add_all(store, "specialisations", Specialisation(name="S1", slug="s1"),
                      Specialisation(name="S2", slug="s2"))
    t = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"))
    doctor_id = await add_doctor(store, designations=(d[1], d[0]), specialisations=(s[0],), times=(t[1], t[0]))
    await add_doctor(store, designations=(d[0],), specialisations=(s[1],))  # the names of another doctor's labels
    async with store.unit_of_work() as uow:
        doctor = await uow.doctors.get(doctor_id)
        doctor.update(fee=7, available_time_ids=[t[1]])
        await uow.doctors.save(doctor)
        loaded = uow.doctors.view_loaded(doctor)
        assert loaded == await uow.doctor_reads.get(doctor_id)
        assert (loaded.designation, loaded.specialisation, loaded.available_time, loaded.fee) == (
            ("D1", "D2"), ("S1",), (t[1],), 7)
        doctor.update(designation_ids=[d[0]])
        assert uow.doctors.view_loaded(doctor) is None  # its names were not read: the view is read instead
    async with store.unit_of_work() as uow:
        assert uow.doctors.view_loaded(doctor) is None  # not read by this unit


async def test_a_doctors_time_ids_come_without_the_doctor_and_see_the_transactions_own_changes(store):
    t = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"))
    with_times, without = await add_doctor(store, times=(t[1], t[0])), await add_doctor(store)
    async with store.unit_of_work() as uow:
        assert sorted(await uow.doctors.available_time_ids(with_times)) == t
        assert await uow.doctors.available_time_ids(without) == []
        for unknown in (with_times + without, 0, -1, HUGE):
            assert await uow.doctors.available_time_ids(unknown) is None
        doctor = await uow.doctors.get(without)
        doctor.update(available_time_ids=[t[0]])
        await uow.doctors.save(doctor)
        assert await uow.doctors.available_time_ids(without) == [t[0]]  # uncommitted, but this transaction's


async def test_a_second_doctor_for_one_user_is_refused(store):
    doctor_id = await add_doctor(store)
    async with store.unit_of_work() as uow:
        user_id = (await uow.doctors.get(doctor_id)).user_id
    with pytest.raises(DuplicateDoctorError):
        await add_all(store, "doctors", Doctor(user_id=user_id, designation_ids=[], specialisation_ids=[],
                                               available_time_ids=[], fee=1))


# doctors, read side


async def test_the_read_side_resolves_names_in_id_order(store):
    d = await add_all(store, "designations", Designation(name="Senior", slug="s"), Designation(name="Junior", slug="j"))
    s = await add_all(store, "specialisations", Specialisation(name="Cardiology", slug="c"))
    t = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"))
    doctor_id = await add_doctor(store, designations=(d[1], d[0]), specialisations=s, times=(t[1], t[0]), fee=350)
    nameless = await add_doctor(store, first_name="", last_name="")
    async with store.unit_of_work() as uow:
        view = await uow.doctor_reads.get(doctor_id)
        other = await uow.doctor_reads.get(nameless)
        assert await uow.doctor_reads.get(HUGE) is None
    assert (view.id, view.user, view.profile, view.designation, view.specialisation, view.available_time,
            view.fee, view.meet_link) == (doctor_id, "Greg House", "doctors/a.png", ("Senior", "Junior"),
                                          ("Cardiology",), tuple(t), 350, "")
    assert (other.user.startswith("user"), other.designation, other.available_time) == (True, (), ())


async def test_doctors_with_the_same_labels_and_with_others_each_get_their_own_names(store):
    # A page names each distinct list of labels once and shares it between its doctors; the next
    # page names them again, so a renamed label shows at once.
    d = await add_all(store, "designations", Designation(name="D1", slug="d1"), Designation(name="D2", slug="d2"))
    s = await add_all(store, "specialisations", Specialisation(name="S1", slug="s1"),
                      Specialisation(name="S2", slug="s2"))
    t = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"))
    shapes = [((d[0], d[1]), (s[0],), (t[0],)), ((d[0], d[1]), (s[1],), (t[0], t[1])),
              ((d[1],), (s[0],), (t[0],)), ((), (s[0], s[1]), ()), ((d[0], d[1]), (s[0],), (t[0],))]
    ids = [await add_doctor(store, designations=ds, specialisations=ss, times=ts) for ds, ss, ts in shapes]
    specialisation_names = {s[0]: "S1", s[1]: "S2"}

    def expected(designation_names: dict[int, str]) -> list[tuple]:
        return [(doctor_id, tuple(designation_names[i] for i in ds), tuple(specialisation_names[i] for i in ss), ts)
                for doctor_id, (ds, ss, ts) in zip(ids, shapes, strict=True)]

    async def page() -> list[tuple]:
        async with store.unit_of_work() as uow:
            found = await uow.doctor_reads.page(page=PageRequest.of(1, 100))
        return [(v.id, v.designation, v.specialisation, v.available_time) for v in found.items]

    assert await page() == expected({d[0]: "D1", d[1]: "D2"})
    async with store.unit_of_work() as uow:
        taxon = await uow.designations.get(d[1])
        taxon.update(name="D2 renamed")
        await uow.designations.save(taxon)
        await uow.commit()
    assert await page() == expected({d[0]: "D1", d[1]: "D2 renamed"})


async def test_the_read_side_pages_by_id(store):
    ids = [await add_doctor(store) for _ in range(5)]
    async with store.unit_of_work() as uow:
        page = await uow.doctor_reads.page(page=PageRequest.of(2, 2))
        last = await uow.doctor_reads.page(page=PageRequest.of(3, 2))
    assert ([v.id for v in page.items], page.total, page.has_next) == (ids[2:4], 5, True)
    assert ([v.id for v in last.items], last.has_next) == (ids[4:], False)


async def test_a_page_past_the_end_still_has_the_total(store):
    """The SQL page carries its total on its doctors' rows only (not on the labels' names that
    follow them): past the end, the total is counted on its own, and the page is refused as
    past the end (a missing total would fail otherwise)."""
    d = await add_all(store, "designations", Designation(name="D1", slug="d1"))
    for _ in range(3):
        await add_doctor(store, designations=d)
    async with store.unit_of_work() as uow:
        with pytest.raises(InvalidPageError):
            await uow.doctor_reads.page(page=PageRequest.of(5, 2))
        none = await uow.doctor_reads.page(page=PageRequest.of(1, 2), filters=DoctorFilters(fee=7))
    assert (list(none.items), none.total) == ([], 0)


async def test_the_read_side_filters(store):
    d = await add_all(store, "designations", Designation(name="D1", slug="d1"), Designation(name="D2", slug="d2"))
    s = await add_all(store, "specialisations", Specialisation(name="S1", slug="s1"))
    t = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"))
    first = await add_doctor(store, designations=(d[0],), specialisations=s, times=(t[0],), fee=100)
    second = await add_doctor(store, designations=(d[1],), times=(t[0], t[1]), fee=200)

    async def ids(**filters) -> list[int]:
        async with store.unit_of_work() as uow:
            page = await uow.doctor_reads.page(page=PageRequest.of(1, 100), filters=DoctorFilters(**filters))
        assert page.total == len(page.items)
        return [view.id for view in page.items]

    assert await ids() == [first, second]
    assert await ids(designation=(d[1],)) == [second]
    assert await ids(designation=(d[0], d[1])) == [first, second]
    assert await ids(specialisation=(s[0],)) == [first]
    assert await ids(available_time=(t[1],)) == [second]
    assert await ids(fee=100) == [first]
    assert await ids(fee=100, available_time=(t[1],)) == []
    assert await ids(designation=(HUGE,)) == await ids(fee=HUGE) == await ids(available_time=(-1,)) == []


async def test_a_doctor_read_first_runs_the_unit_on_the_driver(store):
    """Doctors are written with prepared statements (entity_table.py): a unit that begins with one
    refuses the ORM-served repositories until it ends, but for the reads free of the session, and
    reads its own uncommitted lists back."""
    t = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"))
    doctor_id = await add_doctor(store, times=(t[1],))
    async with store.unit_of_work() as uow:
        doctor = await uow.doctors.get(doctor_id)
        assert await uow.users.username_of(doctor.user_id) is not None
        with pytest.raises(SessionUnavailableError):
            await uow.revoked_tokens.is_revoked("0" * 32)
        doctor.update(available_time_ids=[t[0], t[1]], fee=9)
        await uow.doctors.save(doctor)
        again = await uow.doctors.get(doctor_id)
        assert (sorted(again.available_time_ids), again.fee) == (t, 9)
        await uow.commit()
        assert not await uow.revoked_tokens.is_revoked("0" * 32)  # available again
    async with store.unit_of_work() as uow:
        assert sorted((await uow.doctors.get(doctor_id)).available_time_ids) == t


async def test_a_doctor_saved_twice_in_one_unit_writes_only_the_second_difference(store):
    t = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"),
                      AvailableTime(time="Wed"))
    doctor_id = await add_doctor(store, times=(t[0],))
    async with store.unit_of_work() as uow:
        doctor = await uow.doctors.get(doctor_id)
        doctor.update(available_time_ids=[t[1]])
        await uow.doctors.save(doctor)
        doctor.update(available_time_ids=[t[2], t[1]])
        await uow.doctors.save(doctor)
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert sorted((await uow.doctors.get(doctor_id)).available_time_ids) == [t[1], t[2]]


async def test_a_doctor_linked_to_a_time_deleted_meanwhile_keeps_the_others(store, request):
    """The time is checked to exist before the save; deleted between the check and the save, its link
    is not made (as deleting it would have removed it), and the rest of the save stands."""
    if request.node.callspec.params.get("any_container") == "memory":
        pytest.skip("the in-memory store keeps no foreign keys (its doctors may name made-up ids)")
    t = await add_all(store, "available_times", AvailableTime(time="Mon"), AvailableTime(time="Tue"))
    doctor_id = await add_doctor(store)
    async with store.unit_of_work() as uow:
        await uow.available_times.delete(await uow.available_times.get(t[1]))
        await uow.commit()
    async with store.unit_of_work() as uow:
        doctor = await uow.doctors.get(doctor_id)
        doctor.update(available_time_ids=[t[0], t[1]], fee=5)
        await uow.doctors.save(doctor)
        await uow.commit()
    async with store.unit_of_work() as uow:
        doctor = await uow.doctors.get(doctor_id)
        assert (doctor.available_time_ids, doctor.fee) == ([t[0]], 5)
