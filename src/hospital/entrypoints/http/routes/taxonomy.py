"""/designations and /specialisations: list and create, {id} get/put/patch/delete.

The two resources behave the same, so one function makes the handlers of each from its use cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, delete, get, patch, post, put
from litestar.params import FromPath
from msgspec import UNSET

from hospital.application.taxonomy import TaxonChanges
from hospital.bootstrap import Container
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.schemas.taxonomy import TaxonOut, TaxonWrite

WRITE_DOC = openapi.body(TaxonWrite)
# PATCH with no body changes nothing and answers 200, so its body is optional.
PATCH_DOC = openapi.body(TaxonWrite, required=False)


@dataclass(frozen=True, slots=True)
class TaxonResource:
    path: str
    tag: str
    noun: str
    use_case: Callable[[Container, str], Any]  # (container, "list" | "get" | ...) -> the wired use case


async def _changes(request: Request) -> TaxonChanges:
    data = to_struct(TaxonWrite, await read_body(request))
    return TaxonChanges(
        name=None if data.name is UNSET else data.name,
        # null or blank both mean "make it from the name"
        slug=None if data.slug is UNSET else (data.slug or ""),
    )


def handlers(resource: TaxonResource) -> list:
    path, item, tags, noun = resource.path, resource.path + "{taxon_id:int}/", [resource.tag], resource.noun
    use_case = resource.use_case
    # One function per action serves both kinds: the operation ids name the kind (openapi.py).
    kind = noun.title().replace(" ", "")

    @get(path, tags=tags, summary=f"List {noun}s (anyone)", operation_id=f"list{kind}s")
    async def list_taxa(container: Services, actor: CurrentActor) -> list[TaxonOut]:
        return [TaxonOut.of(taxon) for taxon in await use_case(container, "list")(actor)]

    @post(path, tags=tags, security=openapi.BEARER, operation_class=openapi.body(TaxonWrite, item=item),
          status_code=201,
          responses=openapi.errors(400, 401, 403), summary=f"Create a {noun} (admin)", operation_id=f"create{kind}")
    async def create_taxon(request: Request, container: Services, actor: CurrentActor) -> TaxonOut:
        return TaxonOut.of(await use_case(container, "create")(actor, await _changes(request)))

    @get(item, tags=tags, responses=openapi.errors(404), summary=f"Get a {noun} (anyone)", operation_id=f"get{kind}")
    async def get_taxon(container: Services, actor: CurrentActor, taxon_id: FromPath[int]) -> TaxonOut:
        return TaxonOut.of(await use_case(container, "get")(actor, taxon_id))

    @put(item, tags=tags, security=openapi.BEARER, operation_class=WRITE_DOC,
         responses=openapi.errors(400, 401, 403, 404), summary=f"Update a {noun} (admin)", operation_id=f"put{kind}")
    async def put_taxon(request: Request, container: Services, actor: CurrentActor,
                        taxon_id: FromPath[int]) -> TaxonOut:
        changes = await _changes(request)
        return TaxonOut.of(await use_case(container, "update")(actor, taxon_id, changes))

    @patch(item, tags=tags, security=openapi.BEARER, operation_class=PATCH_DOC,
           responses=openapi.errors(400, 401, 403, 404), summary=f"Partially update a {noun} (admin)",
           operation_id=f"patch{kind}")
    async def patch_taxon(request: Request, container: Services, actor: CurrentActor,
                          taxon_id: FromPath[int]) -> TaxonOut:
        changes = await _changes(request)
        return TaxonOut.of(await use_case(container, "update")(actor, taxon_id, changes, partial=True))

    @delete(item, tags=tags, security=openapi.BEARER, responses=openapi.errors(401, 403, 404),
            summary=f"Delete a {noun} (admin)", operation_id=f"delete{kind}")
    async def delete_taxon(container: Services, actor: CurrentActor, taxon_id: FromPath[int]) -> None:
        await use_case(container, "delete")(actor, taxon_id)

    return [list_taxa, create_taxon, get_taxon, put_taxon, patch_taxon, delete_taxon]


def _designation_use_case(container: Container, action: str) -> Any:
    return {
        "list": container.list_designations, "get": container.get_designation,
        "create": container.create_designation, "update": container.update_designation,
        "delete": container.delete_designation,
    }[action]()


def _specialisation_use_case(container: Container, action: str) -> Any:
    return {
        "list": container.list_specialisations, "get": container.get_specialisation,
        "create": container.create_specialisation, "update": container.update_specialisation,
        "delete": container.delete_specialisation,
    }[action]()


HANDLERS = [
    *handlers(TaxonResource("/designations/", "Designations", "designation", _designation_use_case)),
    *handlers(TaxonResource("/specialisations/", "Specialisations", "specialisation", _specialisation_use_case)),
]
