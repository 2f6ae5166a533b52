from __future__ import annotations

import io
import os
import re
import threading
from pathlib import Path

import pytest
from PIL import Image

from hospital.adapters.storage import local_images
from hospital.adapters.storage.image_validation import INVALID
from hospital.adapters.storage.local_images import LocalImageStorage, new_image_name
from hospital.application.ports.storage import UploadedFile
from hospital.domain.errors import ValidationError

STORED_NAME = re.compile(r"avatars/[0-9a-f]{32}\.(png|jpg|gif|webp)")


def real_image(image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, image_format)
    return buffer.getvalue()


def upload(content: bytes, filename: str = "me.png", content_type: str = "image/png") -> UploadedFile:
    return UploadedFile(filename=filename, content_type=content_type, content=content)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def storage(root: Path) -> LocalImageStorage:
    return LocalImageStorage(root=root, max_bytes=1024 * 1024, max_pixels=1_000_000)


def files_under(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file()) if directory.exists() else []


@pytest.fixture
def outside(root: Path, tmp_path: Path) -> Path:
    """A file next to the root that no delete may reach."""
    root.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    return outside


@pytest.fixture
def linked_secret(root: Path, tmp_path: Path) -> Path:
    """root/linked is a symlink to a folder outside the root holding secret.png."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.png").write_text("keep me")
    root.mkdir()
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    return elsewhere / "secret.png"


async def test_saved_image_lands_under_root_with_a_server_made_name(storage: LocalImageStorage, root: Path) -> None:
    content = real_image()

    name = await storage.save_image(upload(content), folder="avatars", field="profile_picture")

    assert STORED_NAME.fullmatch(name)
    with Image.open(root / name) as stored, Image.open(io.BytesIO(content)) as sent:
        assert stored.format == "PNG"
        assert stored.tobytes() == sent.tobytes()  # the same pixels, re-encoded
    assert files_under(root) == [root / name]  # no temporary file left behind


@pytest.mark.parametrize(("image_format", "extension"), [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif")])
async def test_extension_comes_from_the_content_not_the_filename(
    storage: LocalImageStorage, image_format: str, extension: str,
) -> None:
    name = await storage.save_image(upload(real_image(image_format), filename="photo.php",
                                           content_type="text/html"), folder="avatars", field="f")
    assert name.endswith(f".{extension}")


@pytest.mark.parametrize("filename", ["../../etc/passwd", "a\x00.png", "/abs/path.png", "..\\..\\win.png", ""])
async def test_the_client_filename_is_never_used(storage: LocalImageStorage, root: Path, filename: str) -> None:
    name = await storage.save_image(upload(real_image(), filename=filename), folder="avatars", field="f")

    assert STORED_NAME.fullmatch(name)
    assert [path.relative_to(root).as_posix() for path in files_under(root.parent)] == [name]


async def test_two_uploads_of_the_same_file_get_two_names(storage: LocalImageStorage) -> None:
    first = await storage.save_image(upload(real_image()), folder="avatars", field="f")
    second = await storage.save_image(upload(real_image()), folder="avatars", field="f")
    assert first != second


async def test_invalid_upload_is_refused_and_nothing_is_written(storage: LocalImageStorage, root: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        await storage.save_image(upload(b"<?php system($_GET['c']); ?>", filename="x.png"),
                                 folder="avatars", field="profile_picture")

    assert caught.value.errors == {"profile_picture": [INVALID]}
    assert files_under(root) == []


async def test_limits_are_the_storage_s(root: Path) -> None:
    storage = LocalImageStorage(root=root, max_bytes=1024 * 1024, max_pixels=63)
    with pytest.raises(ValidationError):
        await storage.save_image(upload(real_image()), folder="avatars", field="f")  # 8x8 = 64 pixels


@pytest.mark.parametrize("folder", ["", "../up", "a/b", "Avatars", "avatars/", "/tmp", ".", "ünï", "x y"])
async def test_folder_must_be_a_simple_name(storage: LocalImageStorage, root: Path, folder: str) -> None:
    with pytest.raises(ValueError):
        await storage.save_image(upload(real_image()), folder=folder, field="f")
    assert files_under(root) == []


def test_new_image_name_refuses_bad_folders_too() -> None:
    assert re.fullmatch(r"doctor_profiles/[0-9a-f]{32}\.png", new_image_name("doctor_profiles", "png"))
    with pytest.raises(ValueError):
        new_image_name("../x", "png")


async def test_validation_runs_off_the_event_loop(storage: LocalImageStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real = local_images.clean_upload

    def recording(*args: object, **kwargs: object) -> tuple[str, bytes]:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(local_images, "clean_upload", recording)
    await storage.save_image(upload(real_image()), folder="avatars", field="f")

    assert threads and threads[0] is not threading.main_thread()


async def test_a_failed_write_leaves_no_file(
    storage: LocalImageStorage, root: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(local_images.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        await storage.save_image(upload(real_image()), folder="avatars", field="f")

    assert files_under(root) == []


async def test_stored_files_are_readable_by_a_separate_web_server(storage: LocalImageStorage, root: Path) -> None:
    name = await storage.save_image(upload(real_image()), folder="avatars", field="f")
    assert (root / name).stat().st_mode & 0o444 == 0o444


async def test_delete_removes_the_file(storage: LocalImageStorage, root: Path) -> None:
    name = await storage.save_image(upload(real_image()), folder="avatars", field="f")

    await storage.delete(name)

    assert not (root / name).exists()


async def test_delete_of_a_missing_file_is_quiet(storage: LocalImageStorage) -> None:
    await storage.delete("avatars/0123456789abcdef0123456789abcdef.png")


@pytest.mark.parametrize("name", [
    "../outside.txt", "avatars/../../outside.txt", "/etc/passwd", "", ".", "avatars/..", "..",
    "avatars\\..\\..\\outside.txt", "avatars/x\x00.png",
])
async def test_delete_refuses_names_that_leave_the_root(
    storage: LocalImageStorage, outside: Path, name: str,
) -> None:
    with pytest.raises(ValueError):
        await storage.delete(name)

    assert files_under(outside.parent) == [outside]


async def test_delete_refuses_an_absolute_path_even_inside_root(storage: LocalImageStorage, root: Path) -> None:
    name = await storage.save_image(upload(real_image()), folder="avatars", field="f")
    with pytest.raises(ValueError):
        await storage.delete(str((root / name).resolve()))
    assert (root / name).exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
async def test_delete_does_not_follow_a_symlinked_folder_out_of_root(
    storage: LocalImageStorage, linked_secret: Path,
) -> None:
    with pytest.raises(ValueError):
        await storage.delete("linked/secret.png")

    assert linked_secret in files_under(linked_secret.parent)
