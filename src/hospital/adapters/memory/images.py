"""Images kept in a dict: the same checks and re-encoding as the real storage, no files."""

from __future__ import annotations

import asyncio

from hospital.adapters.storage.local_images import check_folder, clean_upload, new_image_name
from hospital.application.ports.storage import UploadedFile


class InMemoryImageStorage:
    def __init__(self, max_bytes: int = 5 * 1024 * 1024, max_pixels: int = 40_000_000) -> None:
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels
        self.files: dict[str, bytes] = {}

    async def save_image(self, upload: UploadedFile, *, folder: str, field: str) -> str:
        check_folder(folder)
        extension, content = await asyncio.to_thread(
            clean_upload, upload.content, max_bytes=self._max_bytes, max_pixels=self._max_pixels,
            field=field,
        )
        name = new_image_name(folder, extension)
        self.files[name] = content
        return name

    async def delete(self, name: str) -> None:
        self.files.pop(name, None)
