"""Small real images for upload tests."""

from __future__ import annotations

import io

from PIL import Image

from hospital.application.ports.storage import UploadedFile


def png_bytes(size: tuple[int, int] = (8, 8), colour: str = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def png_upload(name: str = "picture.png") -> UploadedFile:
    return UploadedFile(filename=name, content_type="image/png", content=png_bytes())
