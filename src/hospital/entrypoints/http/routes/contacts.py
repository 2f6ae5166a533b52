"""/contacts: anyone submits (rate limited per address); admins list, read, change and delete."""

from __future__ import annotations

from litestar import Request, delete, get, patch, post, put
from litestar.params import FromPath
from msgspec import UNSET

from hospital.application.contacts import ContactChanges
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.schemas.contacts import ContactOut, ContactWrite

TAGS = ["Contacts"]
PATH = "/contacts/"
ITEM = "/contacts/{contact_id:int}/"
WRITE_DOC = openapi.body(ContactWrite, item=ITEM)
# PATCH with no body changes nothing and answers 200, so its body is optional.
PATCH_DOC = openapi.body(ContactWrite, required=False)


async def _changes(request: Request) -> ContactChanges:
    data = to_struct(ContactWrite, await read_body(request))
    return ContactChanges(
        name=None if data.name is UNSET else data.name,
        phone=None if data.phone is UNSET else data.phone,
        massage=None if data.massage is UNSET else data.massage,
    )


@get(PATH, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403), summary="List contacts (admin)")
async def list_contacts(container: Services, actor: CurrentActor) -> list[ContactOut]:
    return [ContactOut.of(contact) for contact in await container.list_contacts()(actor)]


@post(PATH, tags=TAGS, operation_class=WRITE_DOC, status_code=201, responses=openapi.errors(400, 429),
      summary="Send a contact request (anyone)")
async def submit_contact(request: Request, container: Services, actor: CurrentActor) -> ContactOut:
    return ContactOut.of(await container.submit_contact()(actor, await _changes(request)))


@get(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404),
     summary="Get a contact request (admin)")
async def get_contact(container: Services, actor: CurrentActor, contact_id: FromPath[int]) -> ContactOut:
    return ContactOut.of(await container.get_contact()(actor, contact_id))


@put(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC,
     responses=openapi.errors(401, 403, 404, 409), summary="Update a contact request (admin)")
async def put_contact(request: Request, container: Services, actor: CurrentActor,
                      contact_id: FromPath[int]) -> ContactOut:
    changes = await _changes(request)
    return ContactOut.of(await container.update_contact()(actor, contact_id, changes))


@patch(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=PATCH_DOC,
       responses=openapi.errors(401, 403, 404, 409), summary="Partially update a contact request (admin)")
async def patch_contact(request: Request, container: Services, actor: CurrentActor,
                        contact_id: FromPath[int]) -> ContactOut:
    changes = await _changes(request)
    return ContactOut.of(await container.update_contact()(actor, contact_id, changes, partial=True))


@delete(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404, 409),
        summary="Delete a contact request (admin)")
async def delete_contact(container: Services, actor: CurrentActor, contact_id: FromPath[int]) -> None:
    await container.delete_contact()(actor, contact_id)


HANDLERS = [list_contacts, submit_contact, get_contact, put_contact, patch_contact, delete_contact]
