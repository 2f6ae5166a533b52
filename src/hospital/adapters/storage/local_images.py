"""Images kept as files in a local folder, under names the server makes up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import tempfile
from pathlib import Path, PurePosixPath

from hospital.application.ports.storage import UploadedFile

_FOLDER = re.compile(r"[a-z_]+")


def check_folder(folder: str) -> None:
    # Folders come from code (one per image field), never from a request; anything else is a bug.
    if not _FOLDER.fullmatch(folder):
        raise ValueError(f"Image folder must be a simple lowercase name, got {folder!r}.")


def new_image_name(folder: str, extension: str) -> str:
    """``folder/<32 random hex>.<extension>``: nothing the client sent ends up in a path."""
    check_folder(folder)
    return f"{folder}/{secrets.token_hex(16)}.{extension}"


def clean_upload(content: bytes, *, max_bytes: int, max_pixels: int, field: str) -> tuple[str, bytes]:
    """The canonical extension of an acceptable image, and the image re-encoded without metadata
    (EXIF, GPS, XMP, comments, text chunks, ICC profiles): what is stored and served.

    Raises ValidationError on ``field`` for anything that is not an acceptable image.
    """
    # Pillow (some 10 MB resident) loads with the first upload, not in every worker at start.
    from hospital.adapters.storage.image_reencoding import reencode_image
    from hospital.adapters.storage.image_validation import inspect_image

    extension = inspect_image(content, max_bytes=max_bytes, max_pixels=max_pixels, field=field)
    return extension, reencode_image(content, extension, max_pixels=max_pixels, field=field)


class LocalImageStorage:
    def __init__(self, root: Path, max_bytes: int, max_pixels: int) -> None:
        self._root = Path(root)
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels

    @property
    def root(self) -> Path:
        return self._root

    async def save_image(self, upload: UploadedFile, *, folder: str, field: str) -> str:
        check_folder(folder)
        extension, content = await asyncio.to_thread(
            clean_upload, upload.content, max_bytes=self._max_bytes, max_pixels=self._max_pixels,
            field=field,
        )
        name = new_image_name(folder, extension)
        await asyncio.to_thread(self._write, name, content)
        return name

    async def delete(self, name: str) -> None:
        """Remove a stored image if it is there; ValueError for a name that would leave the root."""
        await asyncio.to_thread(self._delete, name)

    def _delete(self, name: str) -> None:
        self._inside_root(name).unlink(missing_ok=True)

    def _write(self, name: str, content: bytes) -> None:
        target = self._root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed into place: a crash leaves no half-written image under
        # a real name, only a dot-file that is never served.
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the file from a separate web server
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def _inside_root(self, name: str) -> Path:
        relative = PurePosixPath(name)
        if (not name or "\\" in name or "\0" in name or relative.is_absolute()
                or ".." in relative.parts or relative == PurePosixPath(".")):
            raise ValueError(f"Not a stored image name: {name!r}.")
        root = self._root.resolve()
        path = (root / relative).resolve()
        if path == root or not path.is_relative_to(root):
            raise ValueError(f"Not a stored image name: {name!r}.")
        return path
