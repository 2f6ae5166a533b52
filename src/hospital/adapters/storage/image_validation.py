"""Is this upload a real PNG, JPEG, GIF or WebP image of acceptable size? Decided from the bytes alone."""

from __future__ import annotations

import io
import struct
import threading
import warnings

from PIL import GifImagePlugin, Image, ImageFile, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from hospital.domain.errors import ValidationError

EMPTY = "The submitted file is empty."
INVALID = "Upload a valid image. The file you uploaded was either not an image or a corrupted image."

# The plugin classes are used directly instead of Image.open(): only these four formats are ever parsed
# (no other Pillow decoder sees untrusted bytes), and the pixel limit is ours to apply before anything
# is decoded. Extension is the canonical one the stored file gets.
_FORMATS: tuple[tuple[type[ImageFile.ImageFile], str], ...] = (
    (PngImagePlugin.PngImageFile, "png"),
    (JpegImagePlugin.JpegImageFile, "jpg"),
    (GifImagePlugin.GifImageFile, "gif"),
    *(((WebPImagePlugin.WebPImageFile, "webp"),) if WebPImagePlugin.SUPPORTED else ()),
)
# The parser for each canonical extension, for code that decodes an image already judged here.
PARSERS: dict[str, type[ImageFile.ImageFile]] = {extension: parser for parser, extension in _FORMATS}
_BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)
# warnings.catch_warnings() swaps process-wide state; one inspection at a time keeps the swaps from
# interleaving between our worker threads. Header parsing and verify() take milliseconds.
_PILLOW_LOCK = threading.Lock()


class _TooManyPixelsError(Exception):
    pass


def inspect_image(content: bytes, *, max_bytes: int, max_pixels: int, field: str) -> str:
    """Return the canonical extension ("png", "jpg", "gif", "webp") or raise ValidationError on ``field``.

    The client's filename and Content-Type play no part: only the bytes are judged.
    """
    if not content:
        raise ValidationError.field(field, EMPTY)
    if len(content) > max_bytes:
        raise ValidationError.field(field, f"Ensure this file is no larger than {_human_size(max_bytes)}.")
    max_pixels = pixel_limit(max_pixels)
    too_many_pixels = too_many_pixels_error(field, max_pixels)
    try:
        with _PILLOW_LOCK, warnings.catch_warnings():
            # Pillow's own bomb warning would otherwise only be logged; make it a refusal like the error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            extension = _check(content, max_pixels)
    except (_TooManyPixelsError, *_BOMB):
        raise too_many_pixels from None
    if extension is None:
        raise ValidationError.field(field, INVALID)
    return extension


def pixel_limit(max_pixels: int) -> int:
    # Pillow refuses more than its own limit in some parsers whatever we say; one limit, stated honestly.
    return max_pixels if Image.MAX_IMAGE_PIXELS is None else min(max_pixels, Image.MAX_IMAGE_PIXELS)


def too_many_pixels_error(field: str, max_pixels: int) -> ValidationError:
    return ValidationError.field(field, f"Ensure this image has no more than {max_pixels} pixels.")


def _check(content: bytes, max_pixels: int) -> str | None:
    webp_size = _webp_canvas_size(content)
    # libwebp allocates the whole canvas as soon as the file is opened, so its header is checked first.
    if webp_size is not None and webp_size[0] * webp_size[1] > max_pixels:
        raise _TooManyPixelsError
    for image_class, extension in _FORMATS:
        # Parsing untrusted bytes can fail in any way a parser can; every failure means "not this format".
        try:
            with image_class(io.BytesIO(content)) as image:
                width, height = image.size  # from the header: no pixel has been decoded yet
        except _BOMB:
            raise
        except Exception:  # noqa: S112
            continue
        if width * height > max_pixels:
            raise _TooManyPixelsError
        # A fresh image: verify() must be the first thing done after opening. It catches truncation and
        # bad checksums (PNG); the pixels are never decoded here.
        try:
            with image_class(io.BytesIO(content)) as image:
                image.verify()
        except _BOMB:
            raise
        except Exception:
            return None
        return extension
    return None


def _webp_canvas_size(content: bytes) -> tuple[int, int] | None:
    """Width and height from a WebP header (RFC 9649), or None when the bytes are not WebP."""
    if content[:4] != b"RIFF" or content[8:12] != b"WEBP" or len(content) < 30:
        return None
    chunk = content[12:16]
    if chunk == b"VP8X":
        return int.from_bytes(content[24:27], "little") + 1, int.from_bytes(content[27:30], "little") + 1
    if chunk == b"VP8L" and content[20] == 0x2F:
        bits = int.from_bytes(content[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        width, height = struct.unpack_from("<HH", content, 26)
        return width & 0x3FFF, height & 0x3FFF
    return None


def _human_size(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"
