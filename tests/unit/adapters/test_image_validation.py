from __future__ import annotations

import io
import struct
import time
import warnings
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, features

from hospital.adapters.storage.image_validation import EMPTY, INVALID, _webp_canvas_size, inspect_image
from hospital.domain.errors import ValidationError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")]


def real_image(image_format: str, size: tuple[int, int] = (16, 12), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red").save(buffer, image_format)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG whose header claims width x height, followed by a few bytes of pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))


def gif_with_frame(width: int, height: int) -> bytes:
    """A 1x1 GIF screen whose first frame claims width x height: Pillow grows the image to fit it."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x4c\x01\x00"
    return screen + frame + b";"


def webp_vp8x_claiming(width: int, height: int) -> bytes:
    """The start of an extended WebP whose canvas is width x height."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (width - 1).to_bytes(3, "little") \
        + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


def inspect(content: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> str:
    return inspect_image(content, max_bytes=max_bytes, max_pixels=max_pixels, field="image")


def refusal(content: bytes, **limits: int) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        inspect(content, **limits)
    assert list(caught.value.errors) == ["image"]
    return caught.value.errors["image"]


@pytest.mark.parametrize(("image_format", "extension"), FORMATS)
def test_real_images_are_accepted_with_their_canonical_extension(image_format: str, extension: str) -> None:
    if image_format == "WEBP" and not features.check("webp"):
        pytest.skip("Pillow built without WebP")
    assert inspect(real_image(image_format)) == extension


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "1"])
def test_png_in_any_mode_is_accepted(mode: str) -> None:
    assert inspect(real_image("PNG", mode=mode)) == "png"


def test_animated_gif_is_accepted() -> None:
    buffer = io.BytesIO()
    frames = [Image.new("P", (8, 8), colour) for colour in (1, 2, 3)]
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    assert inspect(buffer.getvalue()) == "gif"


def test_empty_file() -> None:
    assert refusal(b"") == [EMPTY]


def test_size_limit_is_on_bytes_inclusive() -> None:
    content = real_image("PNG")
    assert inspect(content, max_bytes=len(content)) == "png"
    assert refusal(content, max_bytes=len(content) - 1) == [
        f"Ensure this file is no larger than {len(content) - 1} bytes."
    ]


def test_size_limit_message_uses_megabytes_when_round() -> None:
    assert refusal(b"x" * (MAX_BYTES + 1)) == ["Ensure this file is no larger than 5 MB."]


@pytest.mark.parametrize("content", [
    b"hello, I am a text file",
    b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"<?php system($_GET['cmd']); ?>",
    b"GIF89a<?php system($_GET['cmd']); ?>",  # a GIF signature in front of a script
    b"\x89PNG\r\n\x1a\n<?php echo 1; ?>",  # a PNG signature in front of a script
    b"\xff\xd8\xff",  # a JPEG signature and nothing else
    b"RIFF\x10\x00\x00\x00WEBPVP8 ",
    b"%PDF-1.4\n",
    b"\x00" * 100,
])
def test_non_images_are_refused(content: bytes) -> None:
    assert refusal(content) == [INVALID]


@pytest.mark.parametrize("image_format", ["BMP", "TIFF", "ICO", "PPM", "TGA"])
def test_images_in_other_formats_are_refused(image_format: str) -> None:
    assert refusal(real_image(image_format)) == [INVALID]


def test_truncated_png_is_refused() -> None:
    content = real_image("PNG", size=(200, 200))
    for cut in (len(content) // 2, len(content) - 5, 40):
        assert refusal(content[:cut]) == [INVALID]


def test_png_with_a_corrupted_chunk_is_refused() -> None:
    content = bytearray(real_image("PNG", size=(50, 50)))
    idat = content.index(b"IDAT")
    content[idat + 6] ^= 0xFF  # inside the compressed data: the chunk's CRC no longer matches
    assert refusal(bytes(content)) == [INVALID]


def test_pixel_limit_is_inclusive() -> None:
    content = real_image("PNG", size=(10, 10))
    assert inspect(content, max_pixels=100) == "png"
    assert refusal(content, max_pixels=99) == ["Ensure this image has no more than 99 pixels."]


def test_decompression_bomb_png_is_refused_from_its_header_quickly() -> None:
    bomb = png_claiming(20_000, 20_000)  # 400 megapixels in a 100-byte file
    assert len(bomb) < 200

    started = time.perf_counter()
    messages = refusal(bomb)
    elapsed = time.perf_counter() - started

    assert messages == [f"Ensure this image has no more than {MAX_PIXELS} pixels."]
    assert elapsed < 0.5  # decoding it would allocate 400 MB and take seconds


def test_the_same_header_under_the_limit_is_judged_on_its_pixels() -> None:
    # The crafted file is otherwise well formed: a small claim passes, so the refusal above is the size.
    assert inspect(png_claiming(100, 100)) == "png"


def test_huge_webp_canvas_is_refused_before_the_decoder_allocates_it() -> None:
    # 64 Mpx: over our limit, under Pillow's own, so only our header check stands before libwebp.
    assert refusal(webp_vp8x_claiming(8_000, 8_000)) == [
        f"Ensure this image has no more than {MAX_PIXELS} pixels."
    ]


@pytest.mark.parametrize("max_pixels", [MAX_PIXELS, 10**12])
def test_pillow_bomb_checks_become_validation_errors_and_never_warnings(max_pixels: int) -> None:
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS)
    # 100 Mpx is over Pillow's warning threshold; 400 Mpx over its error threshold.
    for bomb in (gif_with_frame(10_000, 10_000), gif_with_frame(20_000, 20_000), png_claiming(20_000, 20_000)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert refusal(bomb, max_pixels=max_pixels) == [f"Ensure this image has no more than {limit} pixels."]
        assert [str(warning.message) for warning in caught] == []


def test_the_warnings_filter_is_restored_afterwards() -> None:
    before = list(warnings.filters)
    refusal(gif_with_frame(10_000, 10_000))
    assert warnings.filters == before


@given(st.binary(max_size=512))
def test_arbitrary_bytes_give_an_extension_or_a_validation_error(content: bytes) -> None:
    try:
        assert inspect(content) in {"png", "jpg", "gif", "webp"}
    except ValidationError as error:
        assert list(error.errors) == ["image"]


@given(st.data())
def test_a_damaged_png_never_escapes_as_another_error(data: st.DataObject) -> None:
    content = bytearray(real_image("PNG", size=(20, 20)))
    position = data.draw(st.integers(0, len(content) - 1))
    content[position] = data.draw(st.integers(0, 255))
    try:
        assert inspect(bytes(content)) == "png"
    except ValidationError as error:
        assert list(error.errors) == ["image"]


def test_field_name_is_the_one_given() -> None:
    with pytest.raises(ValidationError) as caught:
        inspect_image(b"", max_bytes=10, max_pixels=10, field="profile_picture")
    assert caught.value.errors == {"profile_picture": [EMPTY]}


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
@pytest.mark.parametrize(("mode", "options"), [
    ("RGB", {}),  # simple lossy: VP8
    ("RGBA", {"lossless": True}),  # VP8L
    ("RGBA", {}),  # lossy with alpha: VP8X
])
def test_webp_header_size_is_read_right_for_every_kind(mode: str, options: dict[str, bool]) -> None:
    buffer = io.BytesIO()
    Image.new(mode, (301, 203), "red").save(buffer, "WEBP", **options)
    content = buffer.getvalue()

    assert _webp_canvas_size(content) == (301, 203)
    assert inspect(content, max_pixels=301 * 203) == "webp"
    assert refusal(content, max_pixels=301 * 203 - 1) == [f"Ensure this image has no more than {301 * 203 - 1} pixels."]
