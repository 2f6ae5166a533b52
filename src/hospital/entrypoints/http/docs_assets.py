"""The interactive API docs page, with Swagger UI served from this process instead of a CDN.

The page at /schema/swagger must work with no internet (air-gapped hospitals, locked-down
networks), so its script, style sheet and icon come from the ``openapi-ui-bundles`` package
(Swagger UI 5, which renders OpenAPI 3.1) under /schema/static/. Only the files the page uses are
served: the package's own index.html points at an example API on the internet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import FromPath
from litestar.response import File
from openapi_ui_bundles import swagger_ui

from hospital.entrypoints.http import openapi

STATIC_PATH = "/schema/static"
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
# The files change only with the package version, so browsers may keep them for a day.
_CACHE = {"Cache-Control": "public, max-age=86400"}


def asset_folder() -> Path:
    return Path(swagger_ui.static_path)


class FinishedSwaggerRenderPlugin(SwaggerRenderPlugin):
    """The page shows the finished document (openapi.py), the one /schema/openapi.json serves."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        cached = getattr(self, "_finished", None)
        if cached is None or cached[0] is not openapi_schema:
            cached = self._finished = (openapi_schema, openapi.finished(openapi_schema))
        return super().render(request, cached[1])


def swagger_plugin() -> SwaggerRenderPlugin:
    return FinishedSwaggerRenderPlugin(
        js_url=f"{STATIC_PATH}/swagger-ui-bundle.js",
        css_url=f"{STATIC_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{STATIC_PATH}/swagger-ui-standalone-preset.js",
        # Litestar's default favicon is an image on a CDN.
        favicon=f"<link rel='icon' type='image/png' href='{STATIC_PATH}/favicon-32x32.png'>",
    )


@get(f"{STATIC_PATH}/{{name:str}}", include_in_schema=False, sync_to_thread=False)
def swagger_asset(name: FromPath[str]) -> File:
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise NotFoundException()
    return File(path=asset_folder() / name, media_type=media_type, content_disposition_type="inline",
                headers=_CACHE)


HANDLERS = [swagger_asset]
