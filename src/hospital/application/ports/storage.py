"""Where uploaded images go. The adapter checks that the bytes are a real image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


class ImageStorage(Protocol):
    async def save_image(self, upload: UploadedFile, *, folder: str, field: str) -> str:
        """Validate and store an image under a server-made name; return that name.

        Raises ValidationError naming ``field`` when the upload is not an acceptable image.
        """
        ...

    async def delete(self, name: str) -> None:
        ...
