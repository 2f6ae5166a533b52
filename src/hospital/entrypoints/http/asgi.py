"""What ASGI servers load: `uvicorn --factory hospital.entrypoints.http.asgi:create_app`."""

from litestar import Litestar

from hospital.bootstrap import build_container
from hospital.entrypoints.http.app import create_app as _create_app
from hospital.entrypoints.logging_config import configure_logging
from hospital.entrypoints.startup_checks import refuse_unusable
from hospital.settings import Settings


def create_app() -> Litestar:
    settings = Settings.from_env()
    refuse_unusable(settings)
    configure_logging(settings.log_level, secrets=[settings.secret_key])
    return _create_app(build_container(settings))
