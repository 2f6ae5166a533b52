"""The docs page names only this service's own files; those files are served, nothing else is."""

from __future__ import annotations

import re

import pytest

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


async def test_the_swagger_page_refers_to_no_other_host(client) -> None:
    page = await client.get("/schema/swagger")
    assert page.status_code == 200
    references = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert sorted(references) == sorted(f"/schema/static/{name}" for name in ASSETS)
    assert "://" not in page.text.split("<body>")[0]


@pytest.mark.parametrize(("name", "media_type"), ASSETS.items())
async def test_each_asset_is_served_with_its_type_and_may_be_cached(client, name: str, media_type: str) -> None:
    response = await client.get(f"/schema/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert len(response.content) > 500


async def test_the_bundle_is_swagger_ui_5_which_renders_openapi_3_1(client) -> None:
    bundle = (await client.get("/schema/static/swagger-ui-bundle.js")).text
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.', bundle)
    assert version and int(version.group(1)) >= 5


@pytest.mark.parametrize("name", ["index.html", "favicon-16x16.png", "..%2Fswagger_ui%2F__init__.py", "nothing.js"])
async def test_nothing_else_from_the_package_is_served(client, name: str) -> None:
    assert (await client.get(f"/schema/static/{name}")).status_code == 404


@pytest.mark.parametrize("path", ["/schema/redoc", "/schema/elements", "/schema/rapidoc", "/schema/nope",
                                  "/schema/nope/deeper", "/schema/openapi.yaml"])
async def test_other_schema_paths_are_a_json_404_never_an_html_page(client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    assert response.headers["x-content-type-options"] == "nosniff"
