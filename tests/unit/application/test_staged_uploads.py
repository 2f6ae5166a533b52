"""The staged upload (application/staged_uploads.py): the stored file is deleted again only when the
work that refers to it is known not to have committed, and the file it replaced only once it has."""

from __future__ import annotations

import asyncio

import pytest

from hospital.adapters.memory.images import InMemoryImageStorage
from hospital.application.errors import CommitOutcomeUnknownError, ServiceUnavailableError
from hospital.application.ports.storage import UploadedFile
from hospital.application.staged_uploads import staged_upload
from hospital.domain.errors import ConflictError, ValidationError
from tests.support.image_files import NOT_AN_IMAGE, png_upload

OLD = "pictures/old.png"


class Commits:
    """A unit of work whose commit succeeds, or raises what it is given."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.committed = False

    async def commit(self) -> None:
        if self.error is not None:
            raise self.error
        self.committed = True


@pytest.fixture
def images() -> InMemoryImageStorage:
    storage = InMemoryImageStorage()
    storage.files[OLD] = b"old"
    return storage


async def test_a_committed_upload_is_kept_and_the_file_it_replaced_goes(images):
    async with staged_upload(images, png_upload(), folder="pictures", field="picture") as staged:
        assert staged.name in images.files
        await staged.commit(Commits(), replacing=OLD)  # type: ignore[arg-type]
    assert set(images.files) == {staged.name}


@pytest.mark.parametrize("error", [ConflictError("taken"), ServiceUnavailableError(), asyncio.CancelledError()])
async def test_a_commit_known_to_have_failed_removes_the_upload_and_keeps_the_old_file(images, error):
    with pytest.raises(type(error)):
        async with staged_upload(images, png_upload(), folder="pictures", field="picture") as staged:
            await staged.commit(Commits(error), replacing=OLD)  # type: ignore[arg-type]
    assert set(images.files) == {OLD}


async def test_a_commit_of_unknown_outcome_deletes_neither_file(images):
    with pytest.raises(CommitOutcomeUnknownError):
        async with staged_upload(images, png_upload(), folder="pictures", field="picture") as staged:
            await staged.commit(Commits(CommitOutcomeUnknownError()), replacing=OLD)  # type: ignore[arg-type]
    assert set(images.files) == {OLD, staged.name}


@pytest.mark.parametrize("interruption", [ValueError("refused"), asyncio.CancelledError()])
async def test_work_that_fails_or_is_cancelled_before_its_commit_removes_the_upload(images, interruption):
    with pytest.raises(type(interruption)):
        async with staged_upload(images, png_upload(), folder="pictures", field="picture"):
            raise interruption
    assert set(images.files) == {OLD}


async def test_work_that_ends_without_committing_removes_the_upload(images):
    async with staged_upload(images, png_upload(), folder="pictures", field="picture"):
        pass
    assert set(images.files) == {OLD}


async def test_an_interruption_after_the_commit_keeps_the_upload(images):
    with pytest.raises(asyncio.CancelledError):
        async with staged_upload(images, png_upload(), folder="pictures", field="picture") as staged:
            await staged.commit(Commits(), replacing=OLD)  # type: ignore[arg-type]
            raise asyncio.CancelledError()
    assert set(images.files) == {staged.name}


async def test_without_an_upload_nothing_is_stored_or_deleted(images):
    async with staged_upload(images, None, folder="pictures", field="picture") as staged:
        assert staged.name is None
        await staged.commit(Commits(), replacing=OLD)  # type: ignore[arg-type]
    assert set(images.files) == {OLD}


async def test_a_file_that_is_no_image_is_refused_on_its_field_and_nothing_is_stored(images):
    fake = UploadedFile(filename="x.png", content_type="image/png", content=NOT_AN_IMAGE)
    with pytest.raises(ValidationError) as refused:
        async with staged_upload(images, fake, folder="pictures", field="picture"):
            pytest.fail("the block must not run")
    assert set(refused.value.errors) == {"picture"}
    assert set(images.files) == {OLD}
