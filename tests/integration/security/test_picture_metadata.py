"""Uploaded pictures are served without what the file carried besides pixels (ASVS V12.1, V8.3.4;
OWASP API3:2023): a phone photo's EXIF holds where it was taken, and anyone with the URL may fetch it."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient
from PIL import ExifTags, Image

from tests.support.http import bearer, register_over_http
from tests.support.image_files import SECRETS, animated, jpeg_with_everything, png_with_text_chunks


async def _upload_and_fetch(client: AsyncTestClient, content: bytes, filename: str) -> bytes:
    tokens = (await register_over_http(client, "alice"))["tokens"]
    headers = bearer(tokens["access"])
    profile_id = (await client.get("/api/user/profiles/me/", headers=headers)).json()["id"]
    answer = await client.patch(f"/api/user/profiles/{profile_id}/", headers=headers,
                                files={"profile_picture": (filename, content, "application/octet-stream")})
    assert answer.status_code == 200, answer.text
    served = await client.get(urlsplit(answer.json()["profile_picture"]).path)
    assert served.status_code == 200
    return served.content


async def test_a_jpeg_with_gps_exif_and_a_comment_is_served_with_none_of_it(client: AsyncTestClient) -> None:
    original = jpeg_with_everything(size=(40, 20))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the premise

    served = await _upload_and_fetch(client, original, "holiday.jpg")

    assert [secret for secret in SECRETS if secret in served] == []
    assert b"Exif\0\0" not in served and b"ICC_PROFILE" not in served
    image = Image.open(io.BytesIO(served))
    image.load()  # a valid image, every pixel decodes
    assert (image.format, image.size) == ("JPEG", (40, 20))
    assert dict(image.getexif()) == {}
    assert {"exif", "comment", "xmp", "icc_profile"}.isdisjoint(image.info)


async def test_a_phone_photo_taken_sideways_is_served_upright(client: AsyncTestClient) -> None:
    served = Image.open(io.BytesIO(await _upload_and_fetch(client, jpeg_with_everything((40, 20), orientation=6),
                                                           "sideways.jpg")))
    assert served.size == (20, 40)
    assert served.convert("RGB").getpixel((10, 2))[0] > 240  # the red half on top, as the camera meant


async def test_png_text_chunks_are_gone(client: AsyncTestClient) -> None:
    original = png_with_text_chunks(size=(40, 20))

    served = await _upload_and_fetch(client, original, "scan.png")

    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"):
        assert chunk not in served, chunk
    assert [secret for secret in SECRETS if secret in served] == []
    image = Image.open(io.BytesIO(served))
    assert (image.format, image.size) == ("PNG", (40, 20))
    assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()


@pytest.mark.parametrize("image_format", ["GIF", "WEBP"])
async def test_an_animation_stays_animated(client: AsyncTestClient, image_format: str) -> None:
    served = await _upload_and_fetch(client, animated(image_format, frames=3), "moving")
    image = Image.open(io.BytesIO(served))
    assert (image.format, image.n_frames) == (image_format, 3)
    assert [secret for secret in SECRETS if secret in served] == []
