"""OpenAPI for bodies we read ourselves, and the error responses every route may give.

Handlers read their body once by Content-Type (see body.py), so Litestar cannot see a ``data``
parameter; each write route names its request struct here instead, and the schema lists it
under every media type the route really accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Components,
    Link,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    RequestBody,
    SecurityScheme,
)
from litestar.openapi.spec.base import BaseSchemaObject

REF_TEMPLATE = "#/components/schemas/{name}"
REF_PREFIX = REF_TEMPLATE.removesuffix("{name}")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

BEARER = [{"BearerToken": []}]
SECURITY_SCHEMES = {"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}

@dataclass
class RawSchema(BaseSchemaObject):
    """A JSON schema made by msgspec, passed through as it is."""

    value: dict[str, Any] = field(default_factory=dict)

    def to_schema(self) -> dict[str, Any]:
        return self.value


def _inlined(schema: Any, definitions: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``schema`` with every reference to ``definitions`` replaced by the definition itself.

    Litestar rebuilds components/schemas from its own registry, dropping any schema given to it,
    so a request body must not point into components: it carries its whole schema.
    """
    if isinstance(schema, list):
        return [_inlined(item, definitions, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        name = ref.removeprefix(REF_PREFIX)
        if name in seen:  # a recursive struct; request bodies have none, but never loop
            return {"type": "object"}
        return _inlined(definitions[name], definitions, (*seen, name))
    return {key: _inlined(value, definitions, seen) for key, value in schema.items()}


def _schema_of(struct: type, files: tuple[str, ...] = ()) -> dict[str, Any]:
    (schema,), definitions = msgspec.json.schema_components([struct], ref_template=REF_TEMPLATE)
    schema = _inlined(schema, definitions)
    if not schema.get("required", True):
        del schema["required"]  # msgspec writes an empty list; OpenAPI 3.0 tools refuse one
    if not files:
        return schema
    # The multipart variant: the same fields plus the uploaded files, as binary strings.
    properties = dict(schema.get("properties", {}))
    for file_field in files:
        properties[file_field] = {"type": "string", "format": "binary"}
    return {**schema, "properties": properties, "title": f"{struct.__name__}Multipart"}


def created_links(item: str) -> dict[str, Link]:
    """Links from a 201 answer to the read, update and delete of what it created (OpenAPI 3.1 §4.8.20).

    ``item`` is the route's item path (``/appointments/{appointment_id:int}/``); the created
    object's ``id`` fills its one path parameter. Schemathesis follows them in its stateful phase.
    """
    path = re.sub(r":[a-z]+}", "}", item).rstrip("/")
    parameter = re.findall(r"{(\w+)}", path)[0]
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {
        f"{verb}Created": Link(operation_ref=f"#/paths/{pointer}/{method}",
                               parameters={parameter: "$response.body#/id"})
        for verb, method in (("Get", "get"), ("Put", "put"), ("Patch", "patch"), ("Delete", "delete"))
    }


def body(struct: type, *, files: tuple[str, ...] = (), required: bool = True,
         item: str | None = None) -> type[Operation]:
    """An operation class documenting ``struct`` as the body, in every media type it accepts.

    With ``item``, a 201 answer links to that item's operations (see ``created_links``).
    """
    plain = RawSchema(_schema_of(struct))
    multipart = RawSchema(_schema_of(struct, files)) if files else plain
    content = {
        JSON: OpenAPIMediaType(schema=plain),
        FORM: OpenAPIMediaType(schema=plain),
        MULTIPART: OpenAPIMediaType(schema=multipart),
    }

    @dataclass
    class DocumentedBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(required=required, content=content)
            created = (self.responses or {}).get("201")
            if item and isinstance(created, OpenAPIResponse):
                created.links = dict(created_links(item))

    DocumentedBody.__name__ = f"{struct.__name__}Operation"
    return DocumentedBody


def components() -> Components:
    return Components(security_schemes=SECURITY_SCHEMES)  # type: ignore[arg-type]


class Detail(msgspec.Struct):
    detail: str


FieldErrors = dict[str, list[str]]

# Field messages for invalid values; {"detail": ...} for a body that cannot be read at all (parse errors).
ERROR_400 = ResponseSpec(data_container=FieldErrors | Detail,  # type: ignore[arg-type]
                         description="Invalid input: messages per field, or a detail when the body is unreadable")
ERROR_401 = ResponseSpec(data_container=Detail, description="Missing, invalid or expired token")
ERROR_403 = ResponseSpec(data_container=Detail, description="Authenticated but not allowed")
ERROR_404 = ResponseSpec(data_container=Detail, description="Unknown id, or not yours to see")
ERROR_409 = ResponseSpec(data_container=Detail,
                         description="Changed by other requests each time it was tried: reload and retry")
ERROR_429 = ResponseSpec(data_container=Detail, description="Rate limited; see Retry-After")


def errors(*codes: int) -> dict[int, ResponseSpec]:
    # 400 always: any route with parameters may refuse them, and Litestar would otherwise document
    # its own {status_code, detail, extra} shape, which this API never answers.
    codes = tuple(sorted({400, *codes}))
    table = {400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409, 429: ERROR_429}
    # Litestar's generated examples are random strings: noise in the docs, and a different schema each run.
    return {code: replace(table[code], generate_examples=False) for code in codes}
