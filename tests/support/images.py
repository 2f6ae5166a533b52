"""Uploads for tests: a real (tiny) PNG, and bytes that only pretend to be one."""

from __future__ import annotations

import io

from PIL import Image

from hospital.application.ports.storage import UploadedFile

NOT_AN_IMAGE = b"%PDF-1.4 this is no picture"


def png_bytes(colour: str = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, "PNG")
    return buffer.getvalue()


def png_upload(name: str = "picture.png") -> UploadedFile:
    return UploadedFile(filename=name, content_type="image/png", content=png_bytes())


def fake_image_upload(name: str = "picture.png") -> UploadedFile:
    return UploadedFile(filename=name, content_type="image/png", content=NOT_AN_IMAGE)
