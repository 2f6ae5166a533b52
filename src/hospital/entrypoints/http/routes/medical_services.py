"""/services: the hospital's catalogue of medical services; list and create, {id} get/put/patch/delete."""

from __future__ import annotations

from litestar import Request, delete, get, patch, post, put
from litestar.params import FromPath
from msgspec import UNSET

from hospital.application.medical_services import MedicalServiceChanges
from hospital.application.ports.catalogue import MedicalServiceView
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.media import media_url
from hospital.entrypoints.http.schemas.medical_services import MedicalServiceOut, MedicalServiceWrite

TAGS = ["Services"]
PATH = "/services/"
ITEM = "/services/{service_id:int}/"
CREATE_DOC = openapi.body(MedicalServiceWrite, files=("image",), item=ITEM)
UPDATE_DOC = openapi.body(MedicalServiceWrite, files=("image",), required=False)


def render(request: Request, service: MedicalServiceView) -> MedicalServiceOut:
    return MedicalServiceOut(
        id=service.id, image=media_url(request, service.image), name=service.name,
        description=service.description,
    )


async def _changes(request: Request) -> MedicalServiceChanges:
    body = await read_body(request)
    data = to_struct(MedicalServiceWrite, body)
    return MedicalServiceChanges(
        name=None if data.name is UNSET else data.name,
        description=None if data.description is UNSET else data.description,
        image=body.files.get("image"),
    )


@get(PATH, tags=TAGS, summary="List services (anyone)")
async def list_services(request: Request, container: Services, actor: CurrentActor) -> list[MedicalServiceOut]:
    return [render(request, service) for service in await container.list_medical_services()(actor)]


@post(PATH, tags=TAGS, security=openapi.BEARER, operation_class=CREATE_DOC, status_code=201,
      responses=openapi.errors(400, 401, 403), summary="Create a service (admin; multipart with an image)")
async def create_service(request: Request, container: Services, actor: CurrentActor) -> MedicalServiceOut:
    return render(request, await container.create_medical_service()(actor, await _changes(request)))


@get(ITEM, tags=TAGS, responses=openapi.errors(404), summary="Get a service (anyone)")
async def get_service(request: Request, container: Services, actor: CurrentActor,
                      service_id: FromPath[int]) -> MedicalServiceOut:
    return render(request, await container.get_medical_service()(actor, service_id))


@put(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=UPDATE_DOC,
     responses=openapi.errors(401, 403, 404, 409), summary="Update a service (admin)")
async def put_service(request: Request, container: Services, actor: CurrentActor,
                      service_id: FromPath[int]) -> MedicalServiceOut:
    changes = await _changes(request)
    return render(request, await container.update_medical_service()(actor, service_id, changes))


@patch(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=UPDATE_DOC,
       responses=openapi.errors(401, 403, 404, 409), summary="Partially update a service (admin)")
async def patch_service(request: Request, container: Services, actor: CurrentActor,
                        service_id: FromPath[int]) -> MedicalServiceOut:
    changes = await _changes(request)
    return render(request, await container.update_medical_service()(actor, service_id, changes, partial=True))


@delete(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404, 409),
        summary="Delete a service (admin)")
async def delete_service(container: Services, actor: CurrentActor, service_id: FromPath[int]) -> None:
    await container.delete_medical_service()(actor, service_id)


HANDLERS = [list_services, create_service, get_service, put_service, patch_service, delete_service]
