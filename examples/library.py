"""hospital as a library: the use cases called from Python, with no HTTP and no environment variables.

    python examples/library.py /tmp/hospital-example.sqlite3

Settings are given explicitly, the database is migrated from Python, an administrator and a patient
are created, and each acts through the ``Actor`` that ``actor_for`` gives for their user id. Every use
case takes the actor, then the id it acts on, then one command dataclass whose fields are the API's
field names; what a use case creates comes back stored, with an ``int`` id, ready for the next call.

The test suite runs this file against a fresh SQLite file (tests/integration/operations/test_library_example.py)
and type-checks it with mypy (``make typecheck``, part of ``make test``).
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import tempfile
from pathlib import Path

from hospital.application.accounts import CreateSuperuserCommand, RegisterCommand
from hospital.application.pagination import PageRequest
from hospital.application.taxonomy import TaxonChanges
from hospital.bootstrap import actor_for, build_container, migrate, shutdown
from hospital.domain.errors import PermissionDeniedError
from hospital.settings import Settings

PASSWORD = "Tr1cky-horse-battery"


async def main(database: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        secret_key=secrets.token_urlsafe(48),  # signs the tokens registration hands out
        media_root=database.parent / "media",
    ).checked()
    migrate(settings)  # a fresh file gets the schema; a migrated one is left as it is
    container = build_container(settings)
    try:
        admin_user = await container.create_superuser()(CreateSuperuserCommand(
            username="admin", email="admin@example.com", password=PASSWORD))
        registration = await container.register_user()(RegisterCommand(
            username="alice", email="alice@example.com", password=PASSWORD, confirm_password=PASSWORD))

        admin = await actor_for(container, admin_user.id)
        alice = await actor_for(container, registration.user.id)

        designation = await container.create_designation()(admin, TaxonChanges(name="Cardiologist"))
        print(f"admin created the designation {designation.name!r} (slug {designation.slug!r})")
        try:
            await container.create_designation()(alice, TaxonChanges(name="Surgeon"))
        except PermissionDeniedError as refused:
            print(f"alice may not: {refused.message}")

        profile = await container.get_my_profile()(alice)
        print(f"alice's profile {profile.id} belongs to {profile.user.username}")
        doctors = await container.list_doctors()(alice, page=PageRequest())
        print(f"{doctors.total} doctors so far")
    finally:
        await shutdown(container)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        asyncio.run(main(Path(sys.argv[1])))
    else:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(main(Path(folder) / "hospital.sqlite3"))
