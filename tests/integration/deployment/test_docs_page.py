"""The interactive API docs render in a real browser with no internet: every asset comes from the
service itself, and every endpoint of the OpenAPI document is listed on the page.

Needs Debian's chromium (.ci/run installs it). Without it the test is skipped on a developer's
machine and fails on CI (CI=true), so a missing browser can never pass as green.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.integration.deployment.conftest import sqlite_pass_only
from tests.support.headless_chromium import chromium_page, chromium_path
from tests.support.server_process import server_environment, start_server

pytestmark = [pytest.mark.slow, sqlite_pass_only]

# Not localhost: Swagger UI behaves differently for localhost (it hides its online validator
# badge, an image from the internet), and real deployments are reached under a name.
HOST = "hospital.test"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
OPERATIONS_SHOWN = "document.querySelectorAll('.opblock').length"


@pytest.fixture
def chromium() -> None:
    if chromium_path() is None:
        message = "chromium is not installed: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_the_swagger_page_lists_every_endpoint_and_fetches_nothing_from_outside(chromium, tmp_path: Path,
                                                                                sqlite_url: str) -> None:
    server = start_server(tmp_path, server_environment(tmp_path, sqlite_url))
    try:
        schema = httpx.get(f"{server.url}/schema/openapi.json").json()
        operations = sum(len(HTTP_METHODS & set(item)) for item in schema["paths"].values())
        origin = f"http://{HOST}:{server.port}"
        with chromium_page(tmp_path / "chromium-profile", HOST) as page:
            visit = page.open(f"{origin}/schema/swagger", probe=OPERATIONS_SHOWN, until=f"value >= {operations}")
    finally:
        server.stop()
    (tmp_path / "swagger.png").write_bytes(visit.screenshot)

    assert schema["openapi"].startswith("3.1")
    assert operations > 10
    assert visit.probe == operations  # every operation, each once
    assert [url for url in visit.requests if not url.startswith((f"{origin}/", "data:", "blob:"))] == []
    assert f"{origin}/schema/static/swagger-ui-bundle.js" in visit.requests
    assert visit.failed == []
    assert visit.errors == []
