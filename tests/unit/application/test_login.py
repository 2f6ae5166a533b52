from __future__ import annotations

from datetime import timedelta

import pytest
from dependency_injector import providers

from hospital.adapters.memory.passwords import FastInsecurePasswordHasher
from hospital.application.accounts import LogInCommand, RefreshCommand, RegisterCommand
from hospital.application.errors import InvalidCredentialsError
from hospital.application.ports.security import TokenType
from hospital.bootstrap import Container
from hospital.domain.errors import ValidationError
from tests.support.actors import PASSWORD, register


class RecordingHasher(FastInsecurePasswordHasher):
    """The fast hasher, telling which calls it got; hashes made before ``upgrade()`` need a rehash."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.outdated: set[str] = set()
        self._upgraded = False

    async def hash(self, password: str) -> str:
        self.calls.append("hash")
        hashed = await super().hash(password)
        if not self._upgraded:
            self.outdated.add(hashed)
        return hashed

    async def verify(self, password_hash: str, password: str) -> bool:
        self.calls.append("verify")
        return await super().verify(password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        self.calls.append("verify_dummy")

    def needs_rehash(self, password_hash: str) -> bool:
        return password_hash in self.outdated

    def upgrade(self) -> None:
        self._upgraded = True


@pytest.fixture
def hasher(container: Container) -> RecordingHasher:
    hasher = RecordingHasher()
    container.password_hasher.override(providers.Object(hasher))
    return hasher


async def stored_user(container: Container, user_id: int):
    async with container.unit_of_work() as uow:
        return await uow.users.get(user_id)


async def test_login_answers_tokens_for_the_user_and_records_the_time(container: Container, clock) -> None:
    actor = await register(container, "alice")
    clock.advance(timedelta(minutes=5))

    pair = await container.log_in()(LogInCommand(username="alice", password=PASSWORD))

    tokens = container.tokens()
    assert tokens.decode(pair.access, expected_type=TokenType.ACCESS).user_id == actor.user_id
    assert tokens.decode(pair.refresh, expected_type=TokenType.REFRESH).user_id == actor.user_id
    assert (await stored_user(container, actor.user_id)).last_login == clock.now()


async def test_the_username_is_matched_ignoring_case_and_surrounding_spaces(container: Container) -> None:
    await register(container, "Alice")
    assert await container.log_in()(LogInCommand(username=" alice ", password=PASSWORD))


async def test_wrong_password_and_unknown_user_answer_the_same_error(container: Container) -> None:
    await register(container, "alice")

    with pytest.raises(InvalidCredentialsError) as wrong_password:
        await container.log_in()(LogInCommand(username="alice", password=PASSWORD + "x"))
    with pytest.raises(InvalidCredentialsError) as unknown_user:
        await container.log_in()(LogInCommand(username="nobody", password=PASSWORD))
    with pytest.raises(InvalidCredentialsError) as impossible_name:
        await container.log_in()(LogInCommand(username="no such name!", password=PASSWORD))

    assert wrong_password.value.message == unknown_user.value.message == impossible_name.value.message
    assert wrong_password.value.message == "No active account found with the given credentials"


async def test_an_unknown_user_costs_a_dummy_verification(container: Container, hasher: RecordingHasher) -> None:
    # The time a verification takes must not tell whether the account exists.
    with pytest.raises(InvalidCredentialsError):
        await container.log_in()(LogInCommand(username="nobody", password=PASSWORD))
    with pytest.raises(InvalidCredentialsError):
        await container.log_in()(LogInCommand(username="no such name!", password=PASSWORD))
    assert hasher.calls == ["verify_dummy", "verify_dummy"]


async def test_an_inactive_user_is_refused_even_with_the_right_password(container: Container) -> None:
    actor = await register(container, "alice")
    async with container.unit_of_work() as uow:
        user = await uow.users.get(actor.user_id)
        user.deactivate()
        await uow.users.save(user)
        await uow.commit()

    with pytest.raises(InvalidCredentialsError):
        await container.log_in()(LogInCommand(username="alice", password=PASSWORD))


@pytest.mark.parametrize(("username", "password", "fields"), [
    ("", PASSWORD, ["username"]),
    ("  ", PASSWORD, ["username"]),
    ("alice", "", ["password"]),
    ("", "", ["username", "password"]),
])
async def test_blank_credentials_are_invalid_input(container: Container, username: str, password: str,
                                                   fields: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        await container.log_in()(LogInCommand(username=username, password=password))
    assert caught.value.errors == {field: ["This field may not be blank."] for field in fields}


async def test_login_rehashes_when_the_hasher_asks_and_tokens_stay_valid(container: Container,
                                                                         hasher: RecordingHasher) -> None:
    registration = await container.register_user()(RegisterCommand(
        username="alice", email="alice@example.com", password=PASSWORD, confirm_password=PASSWORD))
    before = await stored_user(container, registration.user.id)
    old_hash = before.password_hash
    hasher.upgrade()  # the hash made at registration is now outdated
    hasher.calls.clear()

    await container.log_in()(LogInCommand(username="alice", password=PASSWORD))

    after = await stored_user(container, registration.user.id)
    assert hasher.calls == ["verify", "hash"]
    assert after.password_hash != old_hash
    assert await hasher.verify(after.password_hash, PASSWORD)
    assert not hasher.needs_rehash(after.password_hash)
    # the same password, so the tokens issued before stay valid
    assert after.token_version == before.token_version
    assert await container.refresh_access_token()(RefreshCommand(refresh=registration.tokens.refresh))


async def test_login_does_not_rehash_a_current_hash(container: Container, hasher: RecordingHasher) -> None:
    actor = await register(container, "alice")
    hasher.outdated.clear()
    stored = (await stored_user(container, actor.user_id)).password_hash
    hasher.calls.clear()

    await container.log_in()(LogInCommand(username="alice", password=PASSWORD))

    assert hasher.calls == ["verify"]
    assert (await stored_user(container, actor.user_id)).password_hash == stored
