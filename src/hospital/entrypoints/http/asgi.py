"""What ASGI servers load: `uvicorn --factory hospital.entrypoints.http.asgi:create_app`."""

from litestar import Litestar

from hospital.entrypoints.http.app import create_app as _create_app


def create_app() -> Litestar:
    return _create_app()
