"""Small real images, and files that only pretend to be images, for upload tests."""

from __future__ import annotations

import io

from PIL import Image

from hospital.application.ports.storage import UploadedFile


def png_bytes(size: tuple[int, int] = (4, 3), colour: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def png_upload(filename: str = "me.png") -> UploadedFile:
    return UploadedFile(filename=filename, content_type="image/png", content=png_bytes())


NOT_AN_IMAGE = b"%PDF-1.4 definitely not a picture"
