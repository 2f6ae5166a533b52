"""GET /health/live (the process answers) and GET /health/ready (it can serve: 503 otherwise).

Neither needs a token, neither is rate limited, and neither is part of the documented API:
they are for the load balancer, the orchestrator and the operator.
"""

from __future__ import annotations

from litestar import MediaType, Response, get

from hospital.entrypoints.http.dependencies import Services


@get("/health/live", include_in_schema=False, media_type=MediaType.JSON, sync_to_thread=False)
def live() -> dict[str, str]:
    return {"status": "ok"}


@get("/health/ready", include_in_schema=False, media_type=MediaType.JSON)
async def ready(container: Services) -> Response:
    readiness = await container.check_readiness()()
    if readiness.ready:
        return Response({"status": "ready"}, status_code=200)
    problems = "; ".join(f"{name}: {problem}" for name, problem in sorted(readiness.problems.items()))
    return Response({"detail": f"Not ready ({problems}).", "checks": readiness.problems}, status_code=503,
                    headers={"Retry-After": "5"})


HANDLERS = [live, ready]
