from __future__ import annotations

import pytest

from hospital.application.accounts import RegisterCommand, RegisterUser
from hospital.application.ports.security import TokenType
from hospital.bootstrap import Container
from hospital.domain.errors import ConflictError, ValidationError
from tests.support.actors import PASSWORD

USERNAME_TAKEN = {"username": ["A user with that username already exists."]}


def command(username: str = "alice", **overrides: str) -> RegisterCommand:
    fields = {"username": username, "email": f"{username}@example.com", "password": PASSWORD,
              "confirm_password": PASSWORD, "first_name": "Alice", "last_name": "Liddell"}
    return RegisterCommand(**{**fields, **overrides})


async def stored_counts(container: Container) -> tuple[int, int, int]:
    async with container.unit_of_work() as uow:
        db = uow.users._db
        return tuple(len(db.table(name)) for name in ("users", "profiles", "patients"))  # type: ignore[return-value]


async def test_register_creates_the_user_their_profile_and_their_patient_record(container: Container, clock) -> None:
    registration = await container.register_user()(command())

    user = registration.user
    assert user.id is not None
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "alice", "alice@example.com", "Alice", "Liddell")
    assert user.date_joined == clock.now() and user.is_active and not user.is_staff
    async with container.unit_of_work() as uow:
        assert (await uow.users.get(user.id)) is not None
        profile = await uow.profiles.get_by_user(user.id)
        patient = await uow.patients.get_by_user(user.id)
    assert profile is not None and profile.profile.created_at == clock.now()
    assert patient is not None and patient.phone is None


async def test_the_password_is_stored_hashed_never_as_given(container: Container) -> None:
    registered = (await container.register_user()(command())).user
    async with container.unit_of_work() as uow:
        user = await uow.users.get(registered.id)
    assert user is not None and PASSWORD not in user.password_hash
    assert await container.password_hasher().verify(user.password_hash, PASSWORD)


async def test_register_answers_a_token_pair_for_the_new_user(container: Container) -> None:
    registration = await container.register_user()(command())
    tokens = container.tokens()

    refresh = tokens.decode(registration.tokens.refresh, expected_type=TokenType.REFRESH)
    access = tokens.decode(registration.tokens.access, expected_type=TokenType.ACCESS)
    assert refresh.user_id == access.user_id == registration.user.id


async def test_a_taken_username_is_refused_whatever_its_case(container: Container) -> None:
    await container.register_user()(command("alice"))

    for username in ("alice", "ALICE", " Alice "):
        with pytest.raises(ConflictError) as caught:
            await container.register_user()(command(username, email="other@example.com"))
        assert caught.value.errors == USERNAME_TAKEN
    assert await stored_counts(container) == (1, 1, 1)


async def test_every_field_problem_is_reported_at_once_and_nothing_is_stored(container: Container) -> None:
    with pytest.raises(ValidationError) as caught:
        await container.register_user()(command("bad name", email="nope", password="123", confirm_password="123"))

    assert set(caught.value.errors) == {"username", "email", "password"}
    assert await stored_counts(container) == (0, 0, 0)


async def test_mismatched_passwords_are_refused(container: Container) -> None:
    with pytest.raises(ValidationError) as caught:
        await container.register_user()(command(confirm_password=PASSWORD + "!"))
    assert caught.value.errors == {"confirm_password": ["Passwords do not match."]}


async def test_a_weak_password_is_refused_with_every_reason(container: Container) -> None:
    with pytest.raises(ValidationError) as caught:
        await container.register_user()(command("quokkas", password="quokkas", confirm_password="quokkas"))
    assert caught.value.errors["password"] == [
        "The password is too similar to the username.",
        "This password is too short. It must contain at least 8 characters.",
    ]


class BrokenPatients:
    """A patient repository whose database fails on insert."""

    async def add(self, patient) -> None:
        raise RuntimeError("the disk is full")


async def test_a_failure_midway_leaves_nothing_behind(container: Container) -> None:
    def broken_unit_of_work():
        uow = container.unit_of_work()
        uow.patients = BrokenPatients()
        return uow

    register = RegisterUser(uow=broken_unit_of_work, hasher=container.password_hasher(),
                            tokens=container.tokens(), clock=container.clock())

    with pytest.raises(RuntimeError):
        await register(command())

    assert await stored_counts(container) == (0, 0, 0)
    # and the username is still free
    assert (await container.register_user()(command())).user.username == "alice"
