"""Is this worker ready for traffic: every backing service answers, the schema is current."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from hospital.application.ports.health import HealthCheck

# A probe that hangs is a failed probe: load balancers give up after a few seconds anyway.
CHECK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Readiness:
    """The problems found, by backing service; ready when there are none."""

    problems: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return not self.problems


class CheckReadiness:
    """Asks every health check at once, each within a timeout: is this worker ready for traffic?"""

    def __init__(self, checks: Sequence[HealthCheck], timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
        self._checks, self._timeout = list(checks), timeout

    async def _run(self, check: HealthCheck) -> str | None:
        try:
            async with asyncio.timeout(self._timeout):
                return await check.problem()
        except TimeoutError:
            return f"no answer within {self._timeout:g} seconds"

    async def __call__(self) -> Readiness:
        results = await asyncio.gather(*(self._run(check) for check in self._checks))
        return Readiness({check.name: problem for check, problem in zip(self._checks, results, strict=True)
                          if problem is not None})
