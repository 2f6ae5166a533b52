"""What ASGI servers load: `uvicorn --factory hospital.entrypoints.http.asgi:create_app`."""

import gc

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
    app = _create_app(build_container(settings))
    # Everything built so far (modules, tables, routes, the OpenAPI schema) lives as long as the
    # worker: out of the collector's sight, a full collection no longer walks it, which took tens of
    # milliseconds and was the p99 of every endpoint. Only here, in the served process: tests build
    # many apps in one process, and frozen cycles are never freed.
    gc.collect()
    gc.freeze()
    return app
