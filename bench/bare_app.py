"""The physical limit of the serving stack for our responses: Litestar behind the same ASGI server,
answering bytes captured from the real service, from memory, with no middleware, no database and no
authentication. Bench-only: never imported by the application.

``BENCH_BARE_RESPONSES`` names a JSON file {name: response text}; ``GET /bare/{name}`` answers that
text, and ``POST /bare/{name}`` first decodes the request body into the same struct the real route
does (so the baseline of a write pays for reading the body too).
"""

from __future__ import annotations

import json
import os

import msgspec
from litestar import Litestar, Request, Response, get, post

from hospital.entrypoints.http.schemas.appointments import AppointmentCreate, DatedAppointmentCreate


def create_app() -> Litestar:
    with open(os.environ["BENCH_BARE_RESPONSES"], encoding="utf-8") as file:
        responses = {name: text.encode() for name, text in json.load(file).items()}

    @get("/bare/{name:str}", sync_to_thread=False)
    def read(name: str) -> Response[bytes]:
        return Response(responses[name], media_type="application/json")

    @post("/bare/{name:str}", status_code=201)
    async def write(request: Request, name: str) -> Response[bytes]:
        # A dated booking's body has `start` and no `time`: decoded as the real route decodes it.
        struct = DatedAppointmentCreate if name.startswith("dated") else AppointmentCreate
        msgspec.json.decode(await request.body(), type=struct)
        return Response(responses[name], media_type="application/json", status_code=201)

    return Litestar(route_handlers=[read, write], debug=False, logging_config=None)
