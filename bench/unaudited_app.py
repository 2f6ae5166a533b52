"""The service with its audit writes taken out: the baseline of what auditing a change costs
(bench/audit.py). Bench-only: never imported by the application."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from hospital.adapters.audit_log import BufferedAuditLog
from hospital.adapters.sqlalchemy.audit import SqlAlchemyAuditTrail


async def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


def create_app() -> Litestar:
    SqlAlchemyAuditTrail.append = _nothing  # type: ignore[method-assign, assignment]
    SqlAlchemyAuditTrail.append_many = _nothing  # type: ignore[method-assign, assignment]
    BufferedAuditLog.record = _nothing  # type: ignore[method-assign, assignment]
    from hospital.entrypoints.http.asgi import create_app as hospital_app

    return hospital_app()
