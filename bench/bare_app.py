"""The physical limit of the serving stack for our responses: Litestar behind the same ASGI server,
answering bytes captured from the real service, from memory, with no middleware, no database and no
authentication. Bench-only: never imported by the application.

``BENCH_BARE_RESPONSES`` names a JSON file {name: response text}; ``GET /bare/{name}`` answers that
text, and ``POST``/``PUT``/``PATCH /bare/{name}`` first decodes the request body into the same
struct the real route does (so the baseline of a write pays for reading the body too): the
booking's, or the one ``BENCH_BARE_STRUCTS`` (a JSON file {name: "module:Struct"}) names.
"""

from __future__ import annotations

import importlib
import json
import os

import msgspec
from litestar import Litestar, Request, Response, get, route

from hospital.entrypoints.http.schemas.appointments import AppointmentCreate, DatedAppointmentCreate


def _struct(reference: str) -> type:
    module, name = reference.split(":")
    return getattr(importlib.import_module(module), name)


def create_app() -> Litestar:
    with open(os.environ["BENCH_BARE_RESPONSES"], encoding="utf-8") as file:
        responses = {name: text.encode() for name, text in json.load(file).items()}
    structs: dict[str, type] = {}
    if os.environ.get("BENCH_BARE_STRUCTS"):
        with open(os.environ["BENCH_BARE_STRUCTS"], encoding="utf-8") as file:
            structs = {name: _struct(reference) for name, reference in json.load(file).items()}

    @get("/bare/{name:str}", sync_to_thread=False)
    def read(name: str) -> Response[bytes]:
        return Response(responses[name], media_type="application/json")

    @route("/bare/{name:str}", http_method=["POST", "PUT", "PATCH"])
    async def write(request: Request, name: str) -> Response[bytes]:
        # A dated booking's body has `start` and no `time`: decoded as the real route decodes it.
        default = DatedAppointmentCreate if name.startswith("dated") else AppointmentCreate
        msgspec.json.decode(await request.body(), type=structs.get(name, default))
        status = 201 if request.method == "POST" else 200
        return Response(responses[name], media_type="application/json", status_code=status)

    return Litestar(route_handlers=[read, write], debug=False, logging_config=None)
