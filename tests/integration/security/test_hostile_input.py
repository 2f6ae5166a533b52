"""Resource limits, uploads, injection and links, as an attacker sends them (OWASP API4, API7, API8, API10:2023).

Every answer is a 4xx or a sane 200, never a 500; limits answer fast and without decoding what
they refuse.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient

from tests.support.apps import app_client
from tests.support.care_http import Party, http_cast
from tests.support.http import bearer, register_over_http
from tests.support.image_files import png_bytes

PAGINATED = ["/doctors/", "/reviews/", "/appointments/", "/patients/", "/api/user/profiles/"]
PLAIN_LISTS = ["/designations/", "/specialisations/", "/available-time/", "/services/", "/contacts/"]
ODD_TEXT = ["' OR 1=1 --", "'; DROP TABLE users; --", "%", "_", "%%__", "\\", "Ωmega ß 東京 🙂", "\u202e\u200b",
            "a\x00b", "x" * 10_000, "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://127.0.0.1/a}"]


async def _admin(client: AsyncTestClient, sql_settings) -> Party:
    return (await http_cast(client, sql_settings))["admin"]


# --- resource limits (API4:2023) ------------------------------------------------------------------

@pytest.mark.parametrize("query", ["limits=1000000", "limits=-1", "limits=abc", "limits=0", "page=0", "page=-1",
                                   f"page={10 ** 12}", f"page={10 ** 30}", "page=abc", "page=1e3",
                                   f"limits={10 ** 30}", "limits=1000&page=2"])
async def test_paging_parameters_are_capped_or_refused(client: AsyncTestClient, sql_settings, query: str) -> None:
    admin = await _admin(client, sql_settings)
    for path in PAGINATED:
        response = await client.get(f"{path}?{query}", headers=admin.headers)
        assert response.status_code in {200, 400, 404}, (path, query, response.text)
        if response.status_code == 200:
            assert len(response.json()["results"]) <= 1000


async def test_a_body_over_the_limit_is_413_before_it_is_read(sql_settings) -> None:
    async with app_client(replace(sql_settings, max_body_bytes=10_000)) as client:
        response = await client.post("/api/user/login/", content=b'{"username": "' + b"a" * 20_000 + b'"}',
                                     headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.json() == {"detail": "Request body is too large."}


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
                                  b"[" + b"0," * 400_000 + b"0]", b'{"username": [' + b'"x",' * 200_000 + b'"x"]}'])
async def test_deep_or_huge_json_is_a_400(client: AsyncTestClient, body: bytes) -> None:
    response = await client.post("/api/user/login/", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text[:200]


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels: a decompression bomb's calling card."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # Compressed zero rows: a few KB that would inflate to width * height * 3 bytes.
    rows = zlib.compress(b"\x00" * (width * 3 + 1) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


async def _profile(client: AsyncTestClient) -> tuple[dict[str, str], int]:
    headers = bearer((await register_over_http(client))["tokens"]["access"])
    return headers, (await client.get("/api/user/profiles/me", headers=headers)).json()["id"]


async def test_a_decompression_bomb_png_is_refused_without_decoding(client: AsyncTestClient) -> None:
    headers, profile = await _profile(client)
    bomb = _png_header_only(20_000, 20_000)
    assert len(bomb) < 10_000
    response = await client.patch(f"/api/user/profiles/{profile}/", headers=headers,
                                  files={"profile_picture": ("bomb.png", bomb, "image/png")})
    assert response.status_code == 400
    assert "pixels" in response.text


# --- uploads (API8:2023, ASVS V12) ----------------------------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
FAKES = {
    "php renamed png": ("shell.png", b"<?php system($_GET['c']); ?>", "image/png"),
    "html renamed png": ("page.png", b"<html><script>alert(1)</script></html>", "image/png"),
    "svg with script": ("logo.svg", SVG, "image/svg+xml"),
    "svg named png": ("logo.png", SVG, "image/png"),
    "png header then html": ("x.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script>", "image/png"),
}


@pytest.mark.parametrize("fake", FAKES)
async def test_files_that_only_pretend_to_be_images_are_refused(client: AsyncTestClient, fake: str) -> None:
    headers, profile = await _profile(client)
    response = await client.patch(f"/api/user/profiles/{profile}/", headers=headers,
                                  files={"profile_picture": FAKES[fake]})
    assert response.status_code == 400, response.text
    assert "profile_picture" in response.json()


@pytest.mark.parametrize("filename", ["../../../etc/passwd.png", "..\\..\\win.ini.png", "a\x00.html.png",
                                      "x" * 300 + ".png", "page.html", "", ".png", "%2e%2e%2fx.png"])
@pytest.mark.parametrize("content_type", ["image/png", "text/html", "application/x-php"])
async def test_a_real_image_is_stored_under_a_server_made_name_and_served_as_an_image(
        client: AsyncTestClient, filename: str, content_type: str) -> None:
    headers, profile = await _profile(client)
    response = await client.patch(f"/api/user/profiles/{profile}/", headers=headers,
                                  files={"profile_picture": (filename, png_bytes(), content_type)})
    assert response.status_code in {200, 400}, response.text
    if response.status_code == 400:
        return
    url = response.json()["profile_picture"]
    path = urlsplit(url).path
    assert path.startswith("/media/") and path.endswith(".png") and ".." not in path
    assert "passwd" not in path and "html" not in path and len(path.rsplit("/", 1)[1]) < 100
    served = await client.get(path)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"


# --- injection and odd text (API8:2023, ASVS V5) --------------------------------------------------

@pytest.mark.parametrize("text", ODD_TEXT)
async def test_odd_text_in_every_search_and_filter_is_never_a_500(client: AsyncTestClient, sql_settings,
                                                                   text: str) -> None:
    admin = await _admin(client, sql_settings)
    for path in PAGINATED + PLAIN_LISTS:
        for name in ("search", "doctor", "patient", "user", "name", "phone", "appointment_status"):
            response = await client.get(path, params={name: text}, headers=admin.headers)
            assert response.status_code in {200, 400, 404}, (path, name, response.status_code, response.text[:200])


async def test_percent_and_underscore_in_search_are_matched_literally(client: AsyncTestClient, sql_settings) -> None:
    admin = await _admin(client, sql_settings)
    for name, slug in [("100% cure", "percent"), ("a_b", "underscore"), ("plain", "plain")]:
        assert (await client.post("/designations/", json={"name": name, "slug": slug},
                                  headers=admin.headers)).status_code == 201
    await register_over_http(client, "under_score")
    await register_over_http(client, "underXscore")
    found = (await client.get("/api/user/profiles/", params={"search": "under_"}, headers=admin.headers)).json()
    assert [p["user"]["username"] for p in found["results"]] == ["under_score"]
    everyone = (await client.get("/api/user/profiles/", params={"search": "%"}, headers=admin.headers)).json()
    assert everyone["results"] == []


@pytest.mark.parametrize("text", ODD_TEXT)
async def test_odd_text_in_every_text_field_is_a_400_or_stored_as_sent(client: AsyncTestClient, sql_settings,
                                                                         text: str) -> None:
    people = await http_cast(client, sql_settings)
    owner, admin = people["owner"], people["admin"]
    me = (await client.get("/api/user/profiles/me", headers=owner.headers)).json()["id"]
    writes = [
        ("PATCH", f"/api/user/profiles/{me}/", owner, {"bio": text, "address": text, "first_name": text}),
        ("PATCH", f"/patients/{owner.patient_id}/", owner, {"phone": text}),
        ("POST", "/designations/", admin, {"name": text, "slug": "s"}),
        ("POST", "/specialisations/", admin, {"name": "n", "slug": text}),
        ("POST", "/available-time/", admin, {"time": text}),
        ("POST", "/contacts/", None, {"name": text, "email": "a@example.com", "phone": "0170000", "subject": text,
                                      "massage": text}),
        ("POST", "/reviews/", owner, {"doctor": people["doctor"].doctor_id, "rating": 3, "body": text}),
        ("POST", "/appointments/", owner, {"doctor": people["doctor"].doctor_id, "time": people["doctor"].times[0],
                                           "appointment_type": text, "symptoms": text}),
        ("POST", "/api/user/login/", None, {"username": text, "password": text}),
        ("POST", "/api/user/register/", None, {"username": text, "email": text, "password": text,
                                               "confirm_password": text}),
    ]
    for method, path, who, body in writes:
        response = await client.request(method, path, json=body, headers=who.headers if who else {})
        assert response.status_code in {200, 201, 400, 401}, (method, path, response.status_code, response.text[:200])
        assert "\x00" not in response.text


# --- links (API10:2023 unsafe consumption, ASVS V5.1.5) ----------------------------------------------

@pytest.mark.parametrize("link", ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)",
                                  "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
                                  "http://meet.example.com/a", "ftp://meet.example.com/a", "//meet.example.com/a",
                                  "https://", "https:///path", "https://exa mple.com", "https://a.example\x00.com",
                                  "vbscript:msgbox(1)", "https://" + "a" * 300 + ".com"])
async def test_a_meet_link_that_is_not_https_is_refused(client: AsyncTestClient, sql_settings, link: str) -> None:
    people = await http_cast(client, sql_settings)
    doctor = people["doctor"]
    response = await client.patch(f"/doctors/{doctor.doctor_id}/", json={"meet_link": link}, headers=doctor.headers)
    assert response.status_code == 400, response.text
    assert "meet_link" in response.json()


async def test_an_https_meet_link_is_stored_and_never_fetched(client: AsyncTestClient, sql_settings,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the server tried to open a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    people = await http_cast(client, sql_settings)
    doctor = people["doctor"]
    link = "https://169.254.169.254/latest/meta-data/"
    response = await client.patch(f"/doctors/{doctor.doctor_id}/", json={"meet_link": link}, headers=doctor.headers)
    assert response.status_code == 200 and response.json()["meet_link"] == link


def test_the_bomb_helper_makes_a_png_claiming_20000_by_20000_pixels() -> None:
    from PIL import Image

    bomb = _png_header_only(20_000, 20_000)
    assert struct.unpack(">II", bomb[16:24]) == (20_000, 20_000)
    with pytest.raises(Image.DecompressionBombError):  # Pillow itself sees a bomb in it
        Image.open(io.BytesIO(bomb))
