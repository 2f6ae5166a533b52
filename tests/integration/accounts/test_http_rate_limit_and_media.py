"""Rate limits on the authentication endpoints, and how uploaded pictures are served."""

from __future__ import annotations

import io
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from hospital.settings import RateLimit, Settings
from tests.conftest import TEST_SECRET
from tests.support.actors import PASSWORD
from tests.support.apps import app_client
from tests.support.http import bearer, register_over_http
from tests.support.image_files import png_bytes


def with_auth_limit(settings: Settings, rate: str) -> Settings:
    # Read the way a deployment sets it: from HOSPITAL_RATE_LIMIT_AUTH.
    from_env = Settings.from_env({"HOSPITAL_ENV": "test", "HOSPITAL_SECRET_KEY": TEST_SECRET,
                                  "HOSPITAL_RATE_LIMIT_AUTH": rate})
    return replace(settings, rate_limit_auth=from_env.rate_limit_auth)


async def test_the_fourth_login_in_a_minute_from_one_address_is_429(sql_settings: Settings) -> None:
    async with app_client(with_auth_limit(sql_settings, "3/minute")) as client:
        credentials = {"username": "nobody", "password": PASSWORD}
        answers = [await client.post("/api/user/login/", json=credentials) for _ in range(3)]
        refused = await client.post("/api/user/login/", json=credentials)

    assert [answer.status_code for answer in answers] == [401, 401, 401]
    assert refused.status_code == 429
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert refused.json() == {"detail": f"Request was throttled. Expected available in {retry_after} seconds."}


async def test_register_refresh_and_logout_share_the_authentication_budget(sql_settings: Settings) -> None:
    async with app_client(with_auth_limit(sql_settings, "3/minute")) as client:
        tokens = (await register_over_http(client, "alice"))["tokens"]
        assert (await client.post("/api/user/token/refresh", json={"refresh": tokens["refresh"]})).status_code == 200
        assert (await client.post("/api/user/logout/", json={"refresh": tokens["refresh"]})).status_code == 200
        assert (await client.post("/api/user/register/", json={})).status_code == 429
        # other endpoints are counted apart
        assert (await client.get("/api/user/profiles/me/", headers=bearer(tokens["access"]))).status_code == 200


@pytest.mark.parametrize("rate", ["3/minutes", "3 / minute", "3/Minute"])
def test_the_rate_setting_reads_common_spellings(rate: str) -> None:
    settings = Settings.from_env({"HOSPITAL_ENV": "test", "HOSPITAL_SECRET_KEY": TEST_SECRET,
                                  "HOSPITAL_RATE_LIMIT_AUTH": rate})
    assert (settings.rate_limit_auth.requests, settings.rate_limit_auth.period_seconds) == (3, 60)


# --- media ------------------------------------------------------------------------------------------

async def test_an_uploaded_picture_is_served_as_an_image_with_nosniff(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client, "alice"))["tokens"]
    headers = bearer(tokens["access"])
    profile_id = (await client.get("/api/user/profiles/me/", headers=headers)).json()["id"]
    content = png_bytes((5, 5))
    picture_url = (await client.patch(f"/api/user/profiles/{profile_id}/", headers=headers,
                                      files={"profile_picture": ("x.html", content, "text/html")})).json()[
        "profile_picture"]

    served = await client.get(urlsplit(picture_url).path)

    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    # re-encoded (without metadata, tests/integration/security/test_picture_metadata.py): the same pixels
    assert Image.open(io.BytesIO(served.content)).tobytes() == Image.open(io.BytesIO(content)).tobytes()
    # the client's file name and type play no part in the stored name
    assert picture_url.endswith(".png") and "x.html" not in picture_url


@pytest.mark.parametrize("path", ["/media/profile_pictures/missing.png", "/media/../pyproject.toml",
                                  "/media/%2e%2e/pyproject.toml", "/media/"])
async def test_missing_files_and_escapes_from_the_media_folder_are_404(client: AsyncTestClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert "[project]" not in response.text


async def test_authenticated_requests_are_counted_per_user_and_anonymous_ones_per_address(
        sql_settings: Settings) -> None:
    limits = replace(sql_settings, rate_limit_user=RateLimit(2, 60), rate_limit_anon=RateLimit(1, 60))
    async with app_client(limits) as client:
        alice = bearer((await register_over_http(client, "alice"))["tokens"]["access"])
        bob = bearer((await register_over_http(client, "bob"))["tokens"]["access"])

        alice_answers = [(await client.get("/api/user/profiles/me/", headers=alice)).status_code for _ in range(3)]
        bob_answer = (await client.get("/api/user/profiles/me/", headers=bob)).status_code
        anonymous_answers = [(await client.get("/api/user/profiles/")).status_code for _ in range(2)]

    assert alice_answers == [200, 200, 429]
    assert bob_answer == 200
    assert anonymous_answers == [401, 429]
