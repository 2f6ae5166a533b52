"""Making people for tests through the application layer: users, admins, and their actors."""

from __future__ import annotations

import itertools

from hospital.application.accounts import CreateSuperuserCommand, RegisterCommand
from hospital.application.actor import Actor
from hospital.bootstrap import Container

PASSWORD = "Correct-Horse-Battery-9"
_numbers = itertools.count(1)


def unique_username(prefix: str = "user") -> str:
    return f"{prefix}{next(_numbers)}"


async def register(container: Container, username: str | None = None, **fields: str) -> Actor:
    """A registered user (with profile and patient record); returns their actor."""
    username = username or unique_username()
    registration = await container.register_user()(RegisterCommand(
        username=username, email=fields.get("email", f"{username}@example.com"), password=PASSWORD,
        confirm_password=PASSWORD, first_name=fields.get("first_name", ""),
        last_name=fields.get("last_name", ""),
    ))
    return await actor_of(container, registration.user.id)


async def admin(container: Container, username: str | None = None) -> Actor:
    user = await container.create_superuser()(CreateSuperuserCommand(
        username=username or unique_username("admin"), email="admin@example.com", password=PASSWORD,
    ))
    return await actor_of(container, user.id)


async def actor_of(container: Container, user_id: int | None) -> Actor:
    assert user_id is not None
    async with container.unit_of_work() as uow:
        actor = await uow.users.actor_for(user_id)
    assert actor is not None
    return actor
