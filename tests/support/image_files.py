"""Small real images, and files that only pretend to be images, for upload tests."""

from __future__ import annotations

import io
import struct

from PIL import ExifTags, Image, PngImagePlugin

from hospital.application.ports.storage import UploadedFile


def png_bytes(size: tuple[int, int] = (4, 3), colour: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def png_upload(filename: str = "me.png") -> UploadedFile:
    return UploadedFile(filename=filename, content_type="image/png", content=png_bytes())


NOT_AN_IMAGE = b"%PDF-1.4 definitely not a picture"


# --- pictures that carry more than pixels ---------------------------------------------------------

SECRETS = (b"SECRET-COMMENT", b"SECRET-XMP", b"SECRET-TEXT", b"SECRET-ICC", b"SecretCam")
GPS_POSITION = {"GPSLatitudeRef": "N", "GPSLatitude": (48.0, 51.0, 29.5),
                "GPSLongitudeRef": "E", "GPSLongitude": (2.0, 17.0, 40.2)}
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>SECRET-XMP</rdf:Description></x:xmpmeta>'


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    """EXIF naming the camera, with a GPS position and an orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    for name, value in GPS_POSITION.items():
        gps[getattr(ExifTags.GPS, name)] = value
    return exif


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + struct.pack(">iii", *(round(value * 65536) for value in (x, y, z)))


def rgb_icc_profile(description: bytes = b"SECRET-ICC", *, swap_red_and_blue: bool = False) -> bytes:
    """A minimal ICC v2 RGB display profile (linear, sRGB's primaries adapted to D50).

    ``swap_red_and_blue``: the red channel means sRGB's blue and the reverse, so that a colour
    conversion to sRGB shows (pure red in the file is pure blue on screen).
    """
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    if swap_red_and_blue:
        red, blue = blue, red
    linear = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100) + b"\0\0"
    text = description + b"\0"
    desc = (b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + struct.pack(">II", 0, 0)
            + struct.pack(">HB", 0, 0) + b"\0" * 67)
    tags = [(b"desc", desc), (b"wtpt", _xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", _xyz(*red)),
            (b"gXYZ", _xyz(*green)), (b"bXYZ", _xyz(*blue)), (b"rTRC", linear), (b"gTRC", linear),
            (b"bTRC", linear)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body + b"\0" * (-len(body) % 4)
    body = struct.pack(">I", len(tags)) + table + data
    header = (struct.pack(">I", 128 + len(body)) + b"\0\0\0\0" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
              + struct.pack(">iii", round(0.9642 * 65536), 65536, round(0.8249 * 65536)) + b"\0" * 48)
    assert len(header) == 128
    return header + body


def halves(size: tuple[int, int], left: str = "red", right: str = "blue", mode: str = "RGB") -> Image.Image:
    """An image whose left half is ``left`` and right half ``right``: orientation shows."""
    image = Image.new(mode, size, left)
    image.paste(Image.new(mode, (size[0] - size[0] // 2, size[1]), right), (size[0] // 2, 0))
    return image


def jpeg_with_everything(size: tuple[int, int] = (40, 20), orientation: int = 1) -> bytes:
    """A JPEG with GPS EXIF, a comment, XMP and an ICC profile whose description is a secret."""
    buffer = io.BytesIO()
    halves(size).save(buffer, "JPEG", quality=95, exif=exif_with_gps(orientation).tobytes(),
                      comment=b"SECRET-COMMENT", xmp=XMP, icc_profile=rgb_icc_profile())
    return buffer.getvalue()


def png_with_text_chunks(size: tuple[int, int] = (40, 20)) -> bytes:
    """A PNG with tEXt, zTXt and iTXt chunks, eXIf with GPS, and an iCCP profile."""
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "SECRET-TEXT plain")
    text.add_text("Description", "SECRET-TEXT compressed " * 20, zip=True)
    text.add_itxt("XML:com.adobe.xmp", XMP.decode(), lang="en")
    buffer = io.BytesIO()
    halves(size, mode="RGBA").save(buffer, "PNG", pnginfo=text, exif=exif_with_gps().tobytes(),
                                   icc_profile=rgb_icc_profile())
    return buffer.getvalue()


def animated(image_format: str, frames: int = 3, size: tuple[int, int] = (12, 10)) -> bytes:
    """An animation of ``frames`` solid colours, 100 ms each, looping, with a comment (GIF) or EXIF/XMP (WebP)."""
    colours = ["red", "lime", "blue", "yellow", "white"]
    images = [Image.new("RGB", size, colours[n % len(colours)]) for n in range(frames)]
    extra = ({"comment": b"SECRET-COMMENT"} if image_format == "GIF"
             else {"exif": exif_with_gps().tobytes(), "xmp": XMP} if image_format == "WEBP" else {})
    buffer = io.BytesIO()
    images[0].save(buffer, image_format, save_all=True, append_images=images[1:], duration=100, loop=0,
                   **({"lossless": True} if image_format == "WEBP" else {}), **extra)
    return buffer.getvalue()
