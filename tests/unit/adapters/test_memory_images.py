from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from hospital.adapters.memory.images import InMemoryImageStorage
from hospital.adapters.storage.image_validation import EMPTY
from hospital.application.ports.storage import UploadedFile
from hospital.domain.errors import ValidationError


def real_png(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "green").save(buffer, "PNG")
    return buffer.getvalue()


async def test_keeps_valid_images_under_a_server_made_name() -> None:
    storage = InMemoryImageStorage()
    content = real_png()

    name = await storage.save_image(UploadedFile("../../x.php", "text/html", content), folder="services",
                                    field="image")

    assert re.fullmatch(r"services/[0-9a-f]{32}\.png", name)
    assert storage.files == {name: content}


async def test_applies_the_same_checks_as_the_real_storage() -> None:
    storage = InMemoryImageStorage(max_pixels=63)
    with pytest.raises(ValidationError) as caught:
        await storage.save_image(UploadedFile("a.png", "image/png", b""), folder="services", field="image")
    assert caught.value.errors == {"image": [EMPTY]}
    with pytest.raises(ValidationError):
        await storage.save_image(UploadedFile("a.png", "image/png", real_png()), folder="services", field="image")
    with pytest.raises(ValueError):
        await storage.save_image(UploadedFile("a.png", "image/png", real_png()), folder="../x", field="image")
    assert storage.files == {}


async def test_delete_forgets_the_file_and_ignores_unknown_names() -> None:
    storage = InMemoryImageStorage()
    name = await storage.save_image(UploadedFile("a.png", "image/png", real_png()), folder="services",
                                    field="image")

    await storage.delete(name)
    await storage.delete("services/unknown.png")

    assert storage.files == {}
