"""/available-time: list (with ?id=) and create, {id} get/put/patch/delete."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, delete, get, patch, post, put
from litestar.params import FromPath, QueryParameter
from msgspec import UNSET

from hospital.application.available_times import AvailableTimeChanges
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.filters import integer_value
from hospital.entrypoints.http.params import INTEGER_FILTER_PATTERN
from hospital.entrypoints.http.schemas.available_times import AvailableTimeOut, AvailableTimeWrite

TAGS = ["Available times"]
PATH = "/available-time/"
ITEM = "/available-time/{time_id:int}/"
WRITE_DOC = openapi.body(AvailableTimeWrite, item=ITEM)
# PATCH with no body changes nothing and answers 200, so its body is optional.
PATCH_DOC = openapi.body(AvailableTimeWrite, required=False)
IdParam = Annotated[str | None, QueryParameter(name="id", description="Only the time with this id", required=False,
                                               schema_extra={"pattern": INTEGER_FILTER_PATTERN})]


async def _changes(request: Request) -> AvailableTimeChanges:
    data = to_struct(AvailableTimeWrite, await read_body(request))
    return AvailableTimeChanges(time=None if data.time is UNSET else data.time,
                                start=None if data.start is UNSET else data.start,
                                end=None if data.end is UNSET else data.end)


@get(PATH, tags=TAGS, responses=openapi.errors(400), summary="List available times (anyone)")
async def list_available_times(request: Request, container: Services, actor: CurrentActor,
                               time_id: IdParam = None) -> list[AvailableTimeOut]:
    times = await container.list_available_times()(actor, id=integer_value(request, "id"))
    return [AvailableTimeOut.of(time) for time in times]


@post(PATH, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC, status_code=201,
      responses=openapi.errors(400, 401, 403), summary="Create an available time (admin)")
async def create_available_time(request: Request, container: Services, actor: CurrentActor) -> AvailableTimeOut:
    return AvailableTimeOut.of(await container.create_available_time()(actor, await _changes(request)))


@get(ITEM, tags=TAGS, responses=openapi.errors(404), summary="Get an available time (anyone)")
async def get_available_time(container: Services, actor: CurrentActor, time_id: FromPath[int]) -> AvailableTimeOut:
    return AvailableTimeOut.of(await container.get_available_time()(actor, time_id))


@put(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC,
     responses=openapi.errors(401, 403, 404, 409), summary="Update an available time (admin)")
async def put_available_time(request: Request, container: Services, actor: CurrentActor,
                             time_id: FromPath[int]) -> AvailableTimeOut:
    changes = await _changes(request)
    return AvailableTimeOut.of(await container.update_available_time()(actor, time_id, changes))


@patch(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=PATCH_DOC,
       responses=openapi.errors(401, 403, 404, 409), summary="Partially update an available time (admin)")
async def patch_available_time(request: Request, container: Services, actor: CurrentActor,
                               time_id: FromPath[int]) -> AvailableTimeOut:
    changes = await _changes(request)
    return AvailableTimeOut.of(await container.update_available_time()(actor, time_id, changes, partial=True))


@delete(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404, 409),
        summary="Delete an available time (admin)")
async def delete_available_time(container: Services, actor: CurrentActor, time_id: FromPath[int]) -> None:
    await container.delete_available_time()(actor, time_id)


HANDLERS = [
    list_available_times, create_available_time, get_available_time, put_available_time, patch_available_time,
    delete_available_time,
]
