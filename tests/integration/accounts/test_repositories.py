"""The accounts repositories' contract: the in-memory and the SQLAlchemy implementations behave alike."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from hospital.application.pagination import InvalidPageError, PageRequest
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.unit_of_work import UnitOfWork
from hospital.bootstrap import Container
from hospital.domain.actors import Actor
from hospital.domain.doctors import Doctor
from hospital.domain.errors import ConflictError
from hospital.domain.patients import Patient
from hospital.domain.profiles import UserProfile
from hospital.domain.users import User

NOW = datetime(2026, 1, 15, 9, 30, 12, 345678, tzinfo=UTC)
Factory = Callable[[], UnitOfWork]


@pytest.fixture
def uow(any_container: Container) -> Factory:
    return any_container.unit_of_work


def new_user(username: str, **fields: object) -> User:
    values = {"email": f"{username}@example.com", "first_name": "", "last_name": "", "password_hash": "h",
              "joined_at": NOW}
    values.update(fields)
    return User.register(username=username, **values)  # type: ignore[arg-type]


async def add_account(uow: Factory, username: str, *, profile: bool = True, patient: bool = True,
                      **fields: object) -> User:
    """A user with, by default, their profile and patient record, committed."""
    async with uow() as tx:
        user = new_user(username, **fields)
        await tx.users.add(user)
        if profile:
            await tx.profiles.add(UserProfile.create(user_id=user.id, now=NOW))
        if patient:
            await tx.patients.add(Patient.enrol(user_id=user.id))
        await tx.commit()
    return user


# --- users ------------------------------------------------------------------------------------------

async def test_a_user_is_given_an_id_and_read_back_as_stored(uow: Factory) -> None:
    added = await add_account(uow, "alice", first_name="Alice", last_name="Liddell", is_staff=True)

    async with uow() as tx:
        user = await tx.users.get(added.id)

    assert isinstance(added.id, int)
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "alice", "alice@example.com", "Alice", "Liddell")
    assert (user.password_hash, user.is_staff, user.is_active, user.token_version) == ("h", True, True, 0)
    assert user.date_joined == NOW and user.date_joined.tzinfo is not None
    assert user.last_login is None


async def test_ids_are_distinct(uow: Factory) -> None:
    first, second = await add_account(uow, "first"), await add_account(uow, "second")
    assert first.id != second.id


async def test_an_unknown_user_is_none(uow: Factory) -> None:
    async with uow() as tx:
        assert await tx.users.get(12345) is None
        assert await tx.users.get_by_username("nobody") is None


async def test_usernames_are_found_and_taken_ignoring_case(uow: Factory) -> None:
    alice = await add_account(uow, "Alice")

    async with uow() as tx:
        assert (await tx.users.get_by_username("aLiCe")).id == alice.id
        assert await tx.users.username_taken("ALICE")
        assert not await tx.users.username_taken("alice", exclude_id=alice.id)
        assert not await tx.users.username_taken("alic")
        assert not await tx.users.username_taken("alice_")  # _ is no wildcard


async def test_a_second_user_with_the_same_username_in_any_case_is_a_conflict(uow: Factory) -> None:
    await add_account(uow, "alice")

    with pytest.raises(ConflictError) as caught:
        await add_account(uow, "ALICE")

    assert caught.value.errors == {"username": ["A user with that username already exists."]}
    async with uow() as tx:
        assert (await tx.users.get_by_username("alice")).username == "alice"


async def test_changes_are_kept_only_when_saved_and_committed(uow: Factory) -> None:
    alice = await add_account(uow, "alice")

    async with uow() as tx:
        user = await tx.users.get(alice.id)
        user.rename(first_name="Rolled back")
        await tx.users.save(user)
    async with uow() as tx:
        (await tx.users.get(alice.id)).rename(first_name="Never saved")
        await tx.commit()
    async with uow() as tx:
        user = await tx.users.get(alice.id)
        assert user.first_name == ""
        user.rename(first_name="Kept")
        user.change_password("new-hash")
        user.logged_in(NOW + timedelta(days=1))
        await tx.users.save(user)
        await tx.commit()
    async with uow() as tx:
        user = await tx.users.get(alice.id)

    assert (user.first_name, user.password_hash, user.token_version) == ("Kept", "new-hash", 1)
    assert user.last_login == NOW + timedelta(days=1)


async def test_an_uncommitted_user_is_not_stored(uow: Factory) -> None:
    async with uow() as tx:
        await tx.users.add(new_user("ghost"))
    async with uow() as tx:
        assert await tx.users.get_by_username("ghost") is None


async def test_actor_for_an_active_user_carries_their_role_records(uow: Factory) -> None:
    alice = await add_account(uow, "alice")
    boss = await add_account(uow, "boss", is_staff=True, patient=False)
    async with uow() as tx:
        patient = await tx.patients.get_by_user(alice.id)
    async with uow() as tx:
        doctor = Doctor(user_id=boss.id, designation_ids=[], specialisation_ids=[], available_time_ids=[], fee=0)
        await tx.doctors.add(doctor)
        await tx.commit()

    async with uow() as tx:
        assert await tx.users.actor_for(alice.id) == Actor(user_id=alice.id, patient_id=patient.id)
        assert await tx.users.actor_for(boss.id) == Actor(user_id=boss.id, is_staff=True, doctor_id=doctor.id)


async def test_actor_for_an_inactive_or_unknown_user_is_none(uow: Factory) -> None:
    alice = await add_account(uow, "alice")
    async with uow() as tx:
        user = await tx.users.get(alice.id)
        user.deactivate()
        await tx.users.save(user)
        await tx.commit()

    async with uow() as tx:
        assert await tx.users.actor_for(alice.id) is None
        assert await tx.users.actor_for(9999) is None


# --- profiles ---------------------------------------------------------------------------------------

async def test_a_profile_is_read_back_with_its_user(uow: Factory) -> None:
    alice = await add_account(uow, "alice", profile=False)
    async with uow() as tx:
        profile = UserProfile.create(user_id=alice.id, now=NOW, bio="Curious", address="Rabbit hole",
                                     date_of_birth=date(1990, 2, 3), profile_picture="profile_pictures/a.png")
        await tx.profiles.add(profile)
        await tx.commit()

    async with uow() as tx:
        by_id = await tx.profiles.get(profile.id)
        by_user = await tx.profiles.get_by_user(alice.id)

    assert by_id.profile.id == by_user.profile.id == profile.id
    assert by_id.user.username == "alice" and by_id.user.id == alice.id
    stored = by_id.profile
    assert (stored.bio, stored.address, stored.date_of_birth, stored.profile_picture) == (
        "Curious", "Rabbit hole", date(1990, 2, 3), "profile_pictures/a.png")
    assert stored.created_at == stored.updated_at == NOW


async def test_an_unknown_profile_is_none(uow: Factory) -> None:
    alice = await add_account(uow, "alice", profile=False)
    async with uow() as tx:
        assert await tx.profiles.get(4242) is None
        assert await tx.profiles.get_by_user(alice.id) is None


async def test_a_second_profile_for_a_user_is_a_conflict(uow: Factory) -> None:
    alice = await add_account(uow, "alice")
    with pytest.raises(ConflictError):
        async with uow() as tx:
            await tx.profiles.add(UserProfile.create(user_id=alice.id, now=NOW))


async def test_a_deleted_profile_is_gone_and_its_user_stays(uow: Factory) -> None:
    alice = await add_account(uow, "alice")
    async with uow() as tx:
        await tx.profiles.delete((await tx.profiles.get_by_user(alice.id)).profile)
        await tx.commit()

    async with uow() as tx:
        assert await tx.profiles.get_by_user(alice.id) is None
        assert await tx.users.get(alice.id) is not None


async def test_profile_changes_are_kept_when_saved_and_committed(uow: Factory) -> None:
    alice = await add_account(uow, "alice")
    async with uow() as tx:
        details = await tx.profiles.get_by_user(alice.id)
        details.profile.update(now=NOW, bio="Never saved")
        details.user.rename(first_name="Never saved")
        await tx.commit()
    async with uow() as tx:
        details = await tx.profiles.get_by_user(alice.id)
        assert (details.profile.bio, details.user.first_name) == ("", "")
        details.profile.update(now=NOW + timedelta(hours=1), bio="Changed", date_of_birth=date(2000, 1, 1))
        details.user.rename(last_name="Liddell")
        await tx.profiles.save(details)
        await tx.commit()

    async with uow() as tx:
        details = await tx.profiles.get_by_user(alice.id)
    assert (details.profile.bio, details.profile.date_of_birth) == ("Changed", date(2000, 1, 1))
    assert details.profile.updated_at == NOW + timedelta(hours=1)
    assert details.user.last_name == "Liddell"


async def test_a_profile_comes_with_its_users_patient_record(uow: Factory) -> None:
    alice = await add_account(uow, "alice")
    bob = await add_account(uow, "bob", patient=False)
    async with uow() as tx:
        patient = await tx.patients.get_by_user(alice.id)
        alices, bobs = await tx.profiles.get_by_user(alice.id), await tx.profiles.get_by_user(bob.id)
        by_id = await tx.profiles.get(alices.profile.id)
    assert (alices.patient_id, by_id.patient_id, bobs.patient_id) == (patient.id, patient.id, None)


async def test_a_rename_to_a_taken_username_is_refused_at_the_save(uow: Factory) -> None:
    await add_account(uow, "alice")
    bob = await add_account(uow, "bob")
    with pytest.raises(ConflictError) as caught:
        async with uow() as tx:
            details = await tx.profiles.get_by_user(bob.id)
            details.user.rename(username="ALICE")
            await tx.profiles.save(details)
    assert caught.value.errors == {"username": ["A user with that username already exists."]}


@pytest.fixture
def reads(any_container: Container) -> ReadSide:
    return any_container.read_side()


async def listed(reads: ReadSide, *, page: PageRequest | None = None, search: tuple[str, ...] = (),
                 user_id: int | None = None) -> tuple[list[str], int]:
    result = await reads.profiles.page(page=page or PageRequest(), search=search, user_id=user_id)
    return [profile.user.username for profile in result.items], result.total


async def test_profiles_are_listed_in_id_order_and_paged(uow: Factory, reads: ReadSide) -> None:
    for name in ("p1", "p2", "p3", "p4", "p5"):
        await add_account(uow, name)

    assert await listed(reads) == (["p1", "p2", "p3", "p4", "p5"], 5)
    assert await listed(reads, page=PageRequest.of(2, 2)) == (["p3", "p4"], 5)
    assert await listed(reads, page=PageRequest.of(3, 2)) == (["p5"], 5)
    with pytest.raises(InvalidPageError):
        await listed(reads, page=PageRequest.of(4, 2))


async def test_an_empty_list_is_one_empty_page(uow: Factory, reads: ReadSide) -> None:
    assert await listed(reads) == ([], 0)


async def test_listing_can_be_limited_to_one_users_profile(uow: Factory, reads: ReadSide) -> None:
    await add_account(uow, "alice")
    bob = await add_account(uow, "bob")
    assert await listed(reads, user_id=bob.id) == (["bob"], 1)


async def test_search_terms_each_match_a_user_field_ignoring_case(uow: Factory, reads: ReadSide) -> None:
    await add_account(uow, "alice", first_name="Alice", last_name="Liddell")
    await add_account(uow, "alicia", first_name="Alice", last_name="Smith", email="as@wonder.org")
    await add_account(uow, "bob", last_name="Wonderful")

    assert await listed(reads, search=("ALICE",)) == (["alice", "alicia"], 2)
    assert await listed(reads, search=("alice", "liddell")) == (["alice"], 1)
    assert await listed(reads, search=("wonder",)) == (["alicia", "bob"], 2)
    assert await listed(reads, search=("alice", "nobody")) == ([], 0)
    assert await listed(reads, search=("SMITH",), user_id=None) == (["alicia"], 1)


async def test_search_takes_like_wildcards_literally(uow: Factory, reads: ReadSide) -> None:
    await add_account(uow, "a_b", first_name="100%")
    await add_account(uow, "axb", first_name="1000")
    assert await listed(reads, search=("a_b",)) == (["a_b"], 1)
    assert await listed(reads, search=("0%",)) == (["a_b"], 1)
    assert await listed(reads, search=("\\",)) == ([], 0)


async def test_search_and_owner_filter_combine(uow: Factory, reads: ReadSide) -> None:
    alice = await add_account(uow, "alice")
    await add_account(uow, "alicia")
    assert await listed(reads, search=("ali",), user_id=alice.id) == (["alice"], 1)


# --- patients ---------------------------------------------------------------------------------------

async def test_a_patient_is_found_by_id_and_by_user(uow: Factory) -> None:
    alice = await add_account(uow, "alice", patient=False)
    async with uow() as tx:
        patient = Patient.enrol(user_id=alice.id, phone="+12345", profile="patients/a.png")
        await tx.patients.add(patient)
        await tx.commit()

    async with uow() as tx:
        by_id = await tx.patients.get(patient.id)
        by_user = await tx.patients.get_by_user(alice.id)
        assert await tx.patients.get(patient.id + 100) is None

    assert by_id.id == by_user.id == patient.id
    assert (by_id.user_id, by_id.phone, by_id.profile) == (alice.id, "+12345", "patients/a.png")


async def test_a_patient_read_for_change_brings_its_username(uow: Factory) -> None:
    alice = await add_account(uow, "alice", patient=False)
    bob = await add_account(uow, "bob", patient=False)
    async with uow() as tx:
        patient = Patient.enrol(user_id=alice.id, phone="+12345", profile=None)
        await tx.patients.add(patient)
        await tx.commit()

    async with uow() as tx:
        loaded = await tx.patients.get(patient.id)
        assert tx.patients.username_loaded(loaded) == "alice"
        loaded.user_id = bob.id
        assert tx.patients.username_loaded(loaded) is None  # not the user it was read with
        assert tx.patients.username_loaded(Patient.enrol(user_id=alice.id, phone=None, profile=None)) is None


async def test_a_user_without_a_patient_record_has_none(uow: Factory) -> None:
    alice = await add_account(uow, "alice", patient=False)
    async with uow() as tx:
        assert await tx.patients.get_by_user(alice.id) is None


# --- revoked tokens ---------------------------------------------------------------------------------

async def _revoke(tx: UnitOfWork, jti: str, user_id: int) -> bool:
    return await tx.revoked_tokens.revoke(jti=jti, user_id=user_id, expires_at=NOW + timedelta(days=7),
                                          revoked_at=NOW)


async def test_a_revoked_token_stays_revoked_and_only_the_first_revocation_wins(uow: Factory) -> None:
    alice = await add_account(uow, "alice")
    won = []
    for _ in range(2):
        async with uow() as tx:
            won.append(await _revoke(tx, "a" * 32, alice.id))
            await tx.commit()

    assert won == [True, False]
    async with uow() as tx:
        assert await tx.revoked_tokens.is_revoked("a" * 32)
        assert not await tx.revoked_tokens.is_revoked("b" * 32)


async def test_an_uncommitted_revocation_is_forgotten(uow: Factory) -> None:
    alice = await add_account(uow, "alice")
    async with uow() as tx:
        assert await _revoke(tx, "c" * 32, alice.id)
    async with uow() as tx:
        assert not await tx.revoked_tokens.is_revoked("c" * 32)


async def test_of_concurrent_revocations_of_one_token_exactly_one_wins(uow: Factory) -> None:
    alice = await add_account(uow, "alice")

    async def revoke_and_commit() -> bool:
        async with uow() as tx:
            won = await _revoke(tx, "d" * 32, alice.id)
            await asyncio.sleep(0.01)  # the others' revocations run meanwhile (and wait for this one)
            await tx.commit()
        return won

    assert sorted(await asyncio.gather(*(revoke_and_commit() for _ in range(5)))) == [False] * 4 + [True]


async def test_a_revocation_rolled_back_leaves_the_token_to_a_concurrent_one(uow: Factory) -> None:
    alice = await add_account(uow, "alice")
    revoked = asyncio.Event()

    async def revoke_then_roll_back() -> bool:
        async with uow() as tx:
            won = await _revoke(tx, "e" * 32, alice.id)
            revoked.set()
            await asyncio.sleep(0.05)
        return won

    async def revoke_after() -> bool:
        await revoked.wait()
        async with uow() as tx:
            won = await _revoke(tx, "e" * 32, alice.id)
            await tx.commit()
        return won

    assert await asyncio.gather(revoke_then_roll_back(), revoke_after()) == [True, True]


@pytest.mark.parametrize("row_id", [0, -1, 2**31, 2**63, 10**30])
async def test_ids_no_row_can_have_are_simply_not_found(uow: Factory, row_id: int) -> None:
    async with uow() as tx:
        assert await tx.users.get(row_id) is None
        assert await tx.users.actor_for(row_id) is None
        assert await tx.profiles.get(row_id) is None
        assert await tx.profiles.get_by_user(row_id) is None
        assert await tx.patients.get(row_id) is None
        assert await tx.patients.get_by_user(row_id) is None
