"""An image upload whose use case is interrupted (application/staged_uploads.py): whatever happens to
the transaction or to the caller, the stored image files are exactly the ones the committed rows
point to (none deleted under a committed row; none left behind by work that did not commit). When
PostgreSQL cannot say whether the COMMIT happened, files may be left over, never missing.

Each of the four uploading areas (profiles, patients, doctors, services), on the production wiring:
on SQLite the writer's connection is tests/support/sqlite_faults.py's, its next BEGIN or COMMIT
held or failed once the upload is stored; on PostgreSQL asyncpg's COMMIT is interrupted.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from asyncpg.exceptions import ConnectionDoesNotExistError
from sqlalchemy import text

from hospital.adapters.sqlalchemy.direct_reads import AsyncpgDirectReader
from hospital.application.doctors import DoctorChanges
from hospital.application.errors import CommitOutcomeUnknownError, ServiceUnavailableError
from hospital.application.medical_services import MedicalServiceChanges
from hospital.application.patients import PatientChanges
from hospital.application.profiles import ProfileChanges
from hospital.bootstrap import Container
from tests.support.clinic import Cast, cast
from tests.support.commits import replace_commits
from tests.support.image_files import png_upload
from tests.support.sqlite_faults import Faults, faulty_connection_class

AREAS = ["profile", "patient", "doctor", "service"]
REFERENCES = ("SELECT profile_picture FROM user_profiles UNION ALL SELECT profile FROM patients "
              "UNION ALL SELECT profile FROM doctors UNION ALL SELECT image FROM services")


async def upload(container: Container, people: Cast, area: str) -> object:
    """The area's use case, storing a new image (replacing the old one where there is one)."""
    picture = png_upload()
    if area == "profile":
        profile_id = (await container.get_my_profile()(people.owner)).id
        return await container.update_profile()(people.owner, profile_id, ProfileChanges(profile_picture=picture))
    if area == "patient":
        return await container.update_patient()(people.owner, people.owner.patient_id, PatientChanges(profile=picture))
    if area == "doctor":
        return await container.update_doctor()(people.admin, people.doctor.doctor_id, DoctorChanges(profile=picture),
                                               partial=True)
    return await container.create_medical_service()(
        people.admin, MedicalServiceChanges(name="X-ray", description="Pictures of bones", image=picture))


async def referenced(container: Container) -> set[str]:
    async with container.engine().connect() as connection:
        return {name for (name,) in await connection.execute(text(REFERENCES)) if name}


def stored_files(container: Container) -> set[str]:
    root = Path(container.settings().media_root)
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


async def settled(task: asyncio.Task) -> object:
    try:
        return await task
    except BaseException as error:  # the outcome is what the test checks
        return error


@pytest.fixture(params=AREAS)
def area(request: pytest.FixtureRequest) -> str:
    return request.param


def after_each_upload(container: Container, then: Callable[[], None]) -> None:
    """``then`` runs as soon as the next upload is stored, before the use case's transaction."""
    images = container.images()
    save = images.save_image

    async def saving(*args, **kwargs) -> str:
        name = await save(*args, **kwargs)
        then()
        return name

    images.save_image = saving


# --- SQLite ---------------------------------------------------------------------------------------------

@pytest.fixture
def faults(sql_container: Container, database_url: str) -> Faults:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite writer's faults")
    faults = Faults()
    sql_container.sqlite_writer().connection_class = faulty_connection_class(faults)
    return faults


@pytest.fixture
async def sqlite_people(sql_container: Container, faults: Faults, area: str) -> Cast:
    people = await cast(sql_container)
    await upload(sql_container, people, area)  # an image to be replaced (a first service, for services)
    assert stored_files(sql_container) == await referenced(sql_container) != set()
    return people


async def started(faults: Faults, word: str) -> None:
    for _ in range(2000):
        if word in faults.running and faults.running[word].is_set():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{word} never ran")


async def test_cancelled_before_its_transaction_commits_leaves_only_the_old_image(
        sql_container, faults, sqlite_people, area):
    gates: list = []
    after_each_upload(sql_container, lambda: gates.append(faults.gate("BEGIN")))
    task = asyncio.create_task(upload(sql_container, sqlite_people, area))
    await started(faults, "BEGIN")
    task.cancel()
    gates[0].set()
    assert isinstance(await settled(task), asyncio.CancelledError)
    assert stored_files(sql_container) == await referenced(sql_container)


async def test_cancelled_while_its_commit_runs_keeps_the_new_image_and_drops_the_old(
        sql_container, faults, sqlite_people, area):
    before = await referenced(sql_container)
    gates: list = []
    after_each_upload(sql_container, lambda: gates.append(faults.gate("COMMIT")))
    task = asyncio.create_task(upload(sql_container, sqlite_people, area))
    await started(faults, "COMMIT")
    task.cancel()
    await asyncio.sleep(0.02)
    gates[0].set()
    outcome = await settled(task)
    assert stored_files(sql_container) == await referenced(sql_container) != before
    assert not isinstance(outcome, BaseException), outcome  # it committed, and the caller is told so


async def test_a_failed_commit_removes_the_new_image_and_keeps_the_old(sql_container, faults, sqlite_people, area):
    before = await referenced(sql_container)
    after_each_upload(sql_container, lambda: faults.fail("COMMIT", sqlite3.OperationalError("disk I/O error")))
    with pytest.raises(ServiceUnavailableError):
        await upload(sql_container, sqlite_people, area)
    assert stored_files(sql_container) == await referenced(sql_container) == before


# --- PostgreSQL -------------------------------------------------------------------------------------------

@pytest.fixture
async def postgres_people(sql_container: Container, database_url: str, area: str) -> Cast:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's COMMIT (HOSPITAL_TEST_DATABASE_URL)")
    people = await cast(sql_container)
    await upload(sql_container, people, area)
    assert stored_files(sql_container) == await referenced(sql_container) != set()
    return people


def interrupt_commits(monkeypatch: pytest.MonkeyPatch, after, committed: asyncio.Event | None = None) -> None:
    """From now on asyncpg's COMMIT reaches the server, sets ``committed``, then ``after`` runs."""
    committed = committed or asyncio.Event()

    async def commit(_connection, send) -> None:
        await send()
        committed.set()
        await after()

    replace_commits(monkeypatch, commit)


async def test_postgresql_cancelled_after_the_commit_was_sent_keeps_the_new_image(
        sql_container, postgres_people, area, monkeypatch):
    before = await referenced(sql_container)
    committed = asyncio.Event()
    after_each_upload(sql_container, lambda: interrupt_commits(monkeypatch, lambda: asyncio.sleep(0.1), committed))
    task = asyncio.create_task(upload(sql_container, postgres_people, area))
    await committed.wait()
    task.cancel()
    outcome = await settled(task)
    monkeypatch.undo()
    assert stored_files(sql_container) == await referenced(sql_container) != before
    assert not isinstance(outcome, BaseException), outcome


async def lost() -> None:
    raise ConnectionDoesNotExistError("connection was closed in the middle of operation")


async def test_postgresql_commit_lost_on_its_way_but_committed_is_a_success_that_keeps_the_new_image(
        sql_container, postgres_people, area, monkeypatch):
    before = await referenced(sql_container)
    after_each_upload(sql_container, lambda: interrupt_commits(monkeypatch, lost))
    await upload(sql_container, postgres_people, area)  # PostgreSQL says it committed (lost_commits.py)
    monkeypatch.undo()
    assert stored_files(sql_container) == await referenced(sql_container) != before


async def test_postgresql_commit_of_unknown_outcome_deletes_no_image(sql_container, postgres_people, area,
                                                                     monkeypatch):
    async def refused(self: AsyncpgDirectReader) -> None:
        raise ConnectionRefusedError("the database is gone")

    after_each_upload(sql_container, lambda: interrupt_commits(monkeypatch, lost))
    monkeypatch.setattr(AsyncpgDirectReader, "new_connection", refused)  # no one can ask what became of it
    with pytest.raises(CommitOutcomeUnknownError):
        await upload(sql_container, postgres_people, area)
    monkeypatch.undo()
    assert await referenced(sql_container) <= stored_files(sql_container)  # it did commit: nothing missing
