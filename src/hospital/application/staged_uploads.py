"""An uploaded image is stored before the transaction that refers to it: checking an image is slow
and must hold no lock. So the file exists before its row does, and the two must end up agreeing:

    async with staged_upload(images, upload, folder="doctors", field="profile") as profile:
        async with uow_factory() as uow:
            ...                                         # the work refers to ``profile.name``
            await profile.commit(uow, replacing=old)    # instead of ``uow.commit()``

When the block ends:

- the work committed (``commit`` returned): the file it stopped referring to (``replacing``) is
  deleted, if a new one took its place;
- the work is known not to have committed (an error before or from the COMMIT, a cancellation
  before it, or a block that ended without committing): the stored upload is deleted;
- the outcome is unknown (``CommitOutcomeUnknownError``: PostgreSQL did not answer the COMMIT):
  both files stay. An orphan file is harmless; a row pointing at a deleted file is not.

A unit of work's ``commit`` tells a caller cancelled during the COMMIT its outcome rather than the
cancellation (adapters/sqlalchemy/commit_outcome.py), so a committed row never loses its file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hospital.application.errors import CommitOutcomeUnknownError
from hospital.application.ports.storage import ImageStorage, UploadedFile
from hospital.application.ports.unit_of_work import UnitOfWork


class StagedUpload:
    """The stored name of an upload (None when nothing was sent), and the commit that keeps it."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.committed = False
        self.outcome_unknown = False
        self.replaced: str | None = None

    async def commit(self, uow: UnitOfWork, *, replacing: str | None = None) -> None:
        """Commit ``uow``, whose work refers to ``name``; ``replacing`` is the file it stopped
        referring to, deleted once the commit is known."""
        try:
            await uow.commit()
        except CommitOutcomeUnknownError:
            self.outcome_unknown = True
            raise
        # Nothing may come between the commit's return and this line (no await): it records what
        # the commit said, whatever interrupts the caller afterwards.
        self.committed, self.replaced = True, replacing


@asynccontextmanager
async def staged_upload(images: ImageStorage, upload: UploadedFile | None, *, folder: str,
                        field: str) -> AsyncIterator[StagedUpload]:
    """Store ``upload`` (checked; ValidationError on ``field`` if it is no acceptable image) and keep
    or delete it according to the outcome of the work done in the block (see the module)."""
    name = None if upload is None else await images.save_image(upload, folder=folder, field=field)
    staged = StagedUpload(name)
    try:
        yield staged
    finally:
        if staged.committed:
            if name is not None and staged.replaced and staged.replaced != name:
                await images.delete(staged.replaced)
        elif name is not None and not staged.outcome_unknown:
            await images.delete(name)
