"""Checks a backing service answers, for the readiness probe (GET /health/ready)."""

from __future__ import annotations

from typing import Protocol


class HealthCheck(Protocol):
    name: str

    async def problem(self) -> str | None:
        """None when the service is usable; otherwise why not, in words safe to show anyone."""
        ...
