"""Uploaded images rebuilt from their pixels alone, so that nothing else the file carried is stored.

A photo's EXIF holds where it was taken (GPS), the camera and often its owner's name; XMP, IPTC,
comments, PNG text chunks and the descriptions inside ICC profiles hold more, and bytes a parser
skips can hide a second file (a polyglot). Pictures are served to anyone with the URL, so the
stored file is a new one, encoded from the decoded pixels and a short list of what rendering needs:

- the EXIF orientation is applied to the pixels first, so the picture stands as the camera meant;
- colours described by an ICC profile are converted to sRGB (the web's default), and the profile
  is dropped; a profile that cannot be read is dropped as it is;
- transparency, and the frames, timing and looping of an animated GIF, PNG or WebP, are kept;
- a JPEG is encoded with its own quantisation tables and chroma subsampling (the same quality), a
  lossless WebP stays lossless and a lossy one is encoded at quality 90.

Decoding costs memory (4 bytes a pixel) and time; one image is rebuilt at a time per process, and
the frames of an animation together may not exceed the pixel limit of one image.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from PIL import ExifTags, Image, ImageCms, ImageFile, ImageSequence, JpegImagePlugin

from hospital.adapters.storage.image_validation import INVALID, PARSERS, pixel_limit, too_many_pixels_error
from hospital.domain.errors import ValidationError

_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# All a frame keeps of what its decoder read besides pixels. Pillow's encoders write what they find
# in ``info`` (a GIF's comment, for one), so each frame's ``info`` is replaced by this much.
_FRAME_INFO = ("transparency", "duration")
_SAVE_FORMAT = {"png": "PNG", "jpg": "JPEG", "gif": "GIF", "webp": "WEBP"}
_LOCK = threading.Lock()


class _TooManyPixelsError(Exception):
    pass


def reencode_image(content: bytes, extension: str, *, max_pixels: int, field: str) -> bytes:
    """``content``, already judged a valid ``extension`` image by inspect_image, as a new file of the
    same format holding the pixels and nothing else.

    Raises ValidationError on ``field`` when the pixels cannot all be decoded (inspection does not
    decode them), or when an animation's frames together exceed ``max_pixels``.
    """
    max_pixels = pixel_limit(max_pixels)
    try:
        with _LOCK:
            return _reencode(content, extension, max_pixels)
    except (_TooManyPixelsError, Image.DecompressionBombError):
        raise too_many_pixels_error(field, max_pixels) from None
    except Exception:  # a decoder or encoder failing on untrusted bytes, whatever its way
        raise ValidationError.field(field, INVALID) from None


def _reencode(content: bytes, extension: str, max_pixels: int) -> bytes:
    with PARSERS[extension](io.BytesIO(content)) as source:
        icc_profile, loop = source.info.get("icc_profile"), source.info.get("loop")
        frames = _frames(source, max_pixels)
        if icc_profile and len(frames) == 1:
            frames[0] = _in_srgb(frames[0], icc_profile)
        buffer = io.BytesIO()
        frames[0].save(buffer, _SAVE_FORMAT[extension], **_options(extension, content, source, frames, loop))
        return buffer.getvalue()


def _frames(source: ImageFile.ImageFile, max_pixels: int) -> list[Image.Image]:
    """Every frame decoded (as the decoder composes it: a whole picture), upright, info replaced.

    A still image is decoded in place rather than copied: one copy of the pixels, not two.
    """
    transpose = _ORIENTATION.get(source.getexif().get(ExifTags.Base.Orientation, 1))
    still = getattr(source, "n_frames", 1) == 1
    frames, pixels = [], 0
    for frame in [source] if still else ImageSequence.Iterator(source):
        pixels += frame.width * frame.height
        if pixels > max_pixels:
            raise _TooManyPixelsError
        kept = {key: frame.info[key] for key in _FRAME_INFO if key in frame.info}
        if transpose is not None:
            decoded = frame.transpose(transpose)
        elif still:
            frame.load()
            decoded = frame
        else:
            decoded = frame.copy()  # seeking to the next frame changes this one
        decoded.info = kept
        frames.append(decoded)
    return frames


def _in_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image:
    mode = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB", "L": "L"}.get(image.mode)
    if mode is None:
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        srgb = ImageCms.createProfile("sRGB")
        kept = dict(image.info)
        if mode == image.mode:  # no second copy of the pixels
            ImageCms.profileToProfile(image, profile, srgb, inPlace=True)
            converted = image
        else:
            converted = ImageCms.profileToProfile(image, profile, srgb, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # unreadable, or for another colour space: the pixels as they are
    assert converted is not None
    converted.info = kept  # the conversion names its output profile there; sRGB is the default anyway
    return converted


def _options(extension: str, content: bytes, source: Image.Image, frames: list[Image.Image],
             loop: int | None) -> dict[str, Any]:
    if extension == "jpg":
        return _jpeg_quality(source, frames[0])
    options: dict[str, Any] = {}
    if extension == "webp":
        options["lossless"] = _webp_is_lossless(content)
        options["quality"] = 100 if options["lossless"] else 90
    if len(frames) > 1:
        options.update(save_all=True, append_images=frames[1:],
                       duration=[frame.info.get("duration", 100) for frame in frames])
        # A GIF without a loop count plays once; APNG and WebP say so with 1.
        if loop is not None or extension != "gif":
            options["loop"] = loop or 0
        if extension == "gif":
            # The frames are whole pictures: each replaces the one before (a transparent pixel must
            # not show the previous frame through it).
            options["disposal"] = 2
    return options


def _jpeg_quality(source: Image.Image, image: Image.Image) -> dict[str, Any]:
    """The source's own quantisation tables and subsampling, when they still fit the pixels."""
    tables = getattr(source, "quantization", None)
    if not tables or image.mode not in {"L", "RGB", "CMYK"} or len(tables) > 4:
        return {"quality": 90}
    sampling = JpegImagePlugin.get_sampling(source) if image.mode == "RGB" else -1
    return {"qtables": [list(table) for table in tables.values()],
            **({"subsampling": sampling} if sampling != -1 else {})}


def _webp_is_lossless(content: bytes) -> bool:
    """Whether the WebP's first image is VP8L (lossless), read from its RIFF chunks (RFC 9649)."""
    position = 12
    while position + 8 <= len(content):
        kind = content[position:position + 4]
        size = int.from_bytes(content[position + 4:position + 8], "little")
        if kind in {b"VP8L", b"VP8 "}:
            return kind == b"VP8L"
        if kind == b"ANMF":  # an animation frame: its image chunk follows a 16-byte frame header
            position += 8 + 16
            continue
        position += 8 + size + (size & 1)
    return False
