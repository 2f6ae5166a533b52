"""Stored pictures hold their pixels and nothing else: no EXIF (GPS), XMP, comments, PNG text, ICC
profile; upright as the EXIF orientation said, colours converted to sRGB, animation kept."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image, ImageDraw, features

from hospital.adapters.storage.image_validation import INVALID
from hospital.adapters.storage.local_images import clean_upload
from hospital.domain.errors import ValidationError
from tests.support.image_files import (
    SECRETS,
    animated,
    exif_with_gps,
    halves,
    jpeg_with_everything,
    png_with_text_chunks,
    rgb_icc_profile,
)

# Everything a decoder may report that is not about pixels, transparency or timing.
METADATA_KEYS = {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "Comment", "Description",
                 "photoshop", "adobe", "iptc"}


def clean(content: bytes, max_pixels: int = 1_000_000) -> tuple[str, bytes]:
    return clean_upload(content, max_bytes=10 * 1024 * 1024, max_pixels=max_pixels, field="picture")


def opened(content: bytes) -> Image.Image:
    return Image.open(io.BytesIO(content))


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def assert_no_metadata(content: bytes) -> None:
    assert [secret for secret in SECRETS if secret in content] == []
    assert b"Exif\0\0" not in content and b"ICC_PROFILE" not in content
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"EXIF", b"XMP ", b"ICCP"):
        assert chunk not in content, chunk
    image = opened(content)
    assert METADATA_KEYS.isdisjoint(image.info), image.info.keys()
    # a GIF's one application extension is the loop count
    assert image.info.get("extension", (b"NETSCAPE2.0",))[0] == b"NETSCAPE2.0"
    assert dict(image.getexif()) == {}


def test_a_jpeg_loses_gps_exif_comment_xmp_and_icc_and_keeps_its_size_and_pixels() -> None:
    original = jpeg_with_everything(size=(40, 20))
    assert opened(original).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's premise

    extension, stored = clean(original)

    assert extension == "jpg"
    assert_no_metadata(stored)
    image = opened(stored)
    assert (image.format, image.size) == ("JPEG", (40, 20))
    red, blue = image.convert("RGB").getpixel((2, 10)), image.convert("RGB").getpixel((37, 10))
    assert red[0] > 240 and red[2] < 15 and blue[2] > 240 and blue[0] < 15


def test_a_jpeg_keeps_its_quality() -> None:
    photo = Image.effect_noise((64, 64), 40).convert("RGB")
    original = encoded(photo, "JPEG", quality=70, exif=exif_with_gps().tobytes())
    stored = clean(original)[1]
    assert opened(stored).quantization == opened(original).quantization


@pytest.mark.parametrize(("orientation", "size"), [(1, (40, 20)), (3, (40, 20)), (6, (20, 40)), (8, (20, 40))])
def test_the_exif_orientation_is_applied_to_the_pixels(orientation: int, size: tuple[int, int]) -> None:
    """The camera's red left half ends up where the orientation tag said it is seen."""
    stored = opened(clean(jpeg_with_everything(size=(40, 20), orientation=orientation))[1]).convert("RGB")
    assert stored.size == size
    corners = {"top left": stored.getpixel((1, 1)), "bottom right": stored.getpixel((size[0] - 2, size[1] - 2))}
    red_corner = {1: "top left", 3: "bottom right", 6: "top left", 8: "bottom right"}[orientation]
    assert corners[red_corner][0] > 240, corners


def test_a_png_loses_its_text_chunks_exif_and_icc_profile_and_keeps_its_pixels() -> None:
    original = png_with_text_chunks(size=(40, 20))

    extension, stored = clean(original)

    assert extension == "png"
    assert_no_metadata(stored)
    assert opened(stored).tobytes() == opened(original).tobytes()  # lossless: identical pixels
    assert (opened(stored).size, opened(stored).mode) == ((40, 20), "RGBA")


def test_colours_under_an_icc_profile_are_converted_to_srgb() -> None:
    """Under this profile the file's red means blue: blue is what is stored."""
    original = encoded(Image.new("RGB", (8, 8), "red"), "PNG", icc_profile=rgb_icc_profile(swap_red_and_blue=True))
    stored = opened(clean(original)[1])
    assert "icc_profile" not in stored.info
    assert stored.getpixel((4, 4)) == (0, 0, 255)


def test_an_unreadable_icc_profile_is_dropped_and_the_pixels_kept() -> None:
    original = encoded(Image.new("RGB", (8, 8), "red"), "PNG", icc_profile=b"SECRET-ICC not a profile")
    stored = clean(original)[1]
    assert_no_metadata(stored)
    assert opened(stored).getpixel((4, 4)) == (255, 0, 0)


@pytest.mark.parametrize("image_format", ["GIF", "PNG", *(["WEBP"] if features.check("webp") else [])])
def test_an_animation_keeps_its_frames_timing_and_loop_and_loses_its_metadata(image_format: str) -> None:
    original = animated(image_format, frames=3)

    stored = clean(original)[1]

    assert_no_metadata(stored)
    image = opened(stored)
    assert (image.format, image.n_frames, image.info.get("loop")) == (image_format, 3, 0)
    colours, durations = [], []
    for number in range(3):
        image.seek(number)
        colours.append(image.convert("RGB").getpixel((5, 5)))
        durations.append(image.info["duration"])
    assert colours == [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    assert durations == [100, 100, 100]


def test_transparent_gif_frames_are_drawn_as_they_were() -> None:
    frames = []
    for step in range(4):
        frame = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
        ImageDraw.Draw(frame).rectangle((step * 4, 2, step * 4 + 3, 6), fill=(255, 0, 0, 255))
        frames.append(frame)
    original = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0, disposal=2,
                       comment=b"SECRET-COMMENT")
    source, stored = opened(original), opened(clean(original)[1])
    assert stored.n_frames == source.n_frames == 4
    for number in range(4):
        source.seek(number)
        stored.seek(number)
        assert stored.convert("RGBA").tobytes() == source.convert("RGBA").tobytes(), number


@pytest.mark.parametrize(("mode", "image_format"), [("L", "JPEG"), ("CMYK", "JPEG"), ("P", "PNG"), ("LA", "PNG"),
                                                    ("I;16", "PNG"), ("1", "PNG"), ("P", "GIF"), ("RGBA", "WEBP")])
def test_every_mode_survives_with_its_transparency(mode: str, image_format: str) -> None:
    if image_format == "WEBP" and not features.check("webp"):
        pytest.skip("Pillow without WebP")
    image = Image.new(mode, (9, 7))
    if mode == "P":
        image.info["transparency"] = 0
    stored = opened(clean(encoded(image, image_format))[1])
    assert (stored.mode, stored.size) == (mode, (9, 7))
    assert stored.info.get("transparency") == image.info.get("transparency")


def test_a_lossy_webp_stays_lossy_and_a_lossless_one_lossless() -> None:
    if not features.check("webp"):
        pytest.skip("Pillow without WebP")
    picture = halves((16, 16))
    assert b"VP8L" in clean(encoded(picture, "WEBP", lossless=True))[1]
    assert b"VP8 " in clean(encoded(picture, "WEBP", quality=80))[1]


def test_a_jpeg_whose_pixels_cannot_be_decoded_is_invalid() -> None:
    """Inspection reads headers only; the re-encoding decodes every pixel and refuses what it cannot."""
    original = encoded(Image.effect_noise((64, 64), 40).convert("RGB"), "JPEG")
    broken = original[:len(original) // 2]  # an upload cut short: its headers are whole
    with pytest.raises(ValidationError) as caught:
        clean(broken)
    assert caught.value.errors == {"picture": [INVALID]}


def test_an_animation_may_not_decode_more_pixels_than_one_image_may_hold() -> None:
    original = animated("GIF", frames=5, size=(10, 10))  # 500 pixels over all frames
    assert clean(original, max_pixels=500)
    with pytest.raises(ValidationError) as caught:
        clean(original, max_pixels=499)
    assert caught.value.errors == {"picture": ["Ensure this image has no more than 499 pixels."]}
