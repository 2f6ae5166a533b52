"""OpenAPI for bodies we read ourselves, and the error responses every route may give.

Handlers read their body once by Content-Type (see body.py), so Litestar cannot see a ``data``
parameter; each write route names its request struct here instead, and the schema lists it
under every media type the route really accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, OpenAPIMediaType, Operation, RequestBody, SecurityScheme
from litestar.openapi.spec.base import BaseSchemaObject

REF_TEMPLATE = "#/components/schemas/{name}"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

BEARER = [{"BearerToken": []}]
SECURITY_SCHEMES = {"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}

_components: dict[str, Any] = {}


@dataclass
class RawSchema(BaseSchemaObject):
    """A JSON schema made by msgspec, passed through as it is."""

    value: dict[str, Any] = field(default_factory=dict)

    def to_schema(self) -> dict[str, Any]:
        return self.value


def _schema_of(struct: type, files: tuple[str, ...] = ()) -> dict[str, Any]:
    (schema,), components = msgspec.json.schema_components([struct], ref_template=REF_TEMPLATE)
    _components.update(components)
    if not files:
        return schema
    # The multipart variant: the same fields plus the uploaded files, as binary strings.
    name = f"{struct.__name__}Multipart"
    base = dict(components[struct.__name__])
    properties = dict(base.get("properties", {}))
    for file_field in files:
        properties[file_field] = {"type": "string", "format": "binary"}
    _components[name] = {**base, "properties": properties, "title": name}
    return {"$ref": REF_TEMPLATE.format(name=name)}


def body(struct: type, *, files: tuple[str, ...] = (), required: bool = True) -> type[Operation]:
    """An operation class documenting ``struct`` as the body, in every media type it accepts."""
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

    DocumentedBody.__name__ = f"{struct.__name__}Operation"
    return DocumentedBody


def components() -> Components:
    return Components(
        schemas={name: RawSchema(schema) for name, schema in _components.items()},  # type: ignore[misc]
        security_schemes=SECURITY_SCHEMES,  # type: ignore[arg-type]
    )


class Detail(msgspec.Struct):
    detail: str


FieldErrors = dict[str, list[str]]

ERROR_400 = ResponseSpec(data_container=FieldErrors, description="Invalid input: messages per field")
ERROR_401 = ResponseSpec(data_container=Detail, description="Missing, invalid or expired token")
ERROR_403 = ResponseSpec(data_container=Detail, description="Authenticated but not allowed")
ERROR_404 = ResponseSpec(data_container=Detail, description="Unknown id, or not yours to see")
ERROR_429 = ResponseSpec(data_container=Detail, description="Rate limited; see Retry-After")


def errors(*codes: int) -> dict[int, ResponseSpec]:
    table = {400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404, 429: ERROR_429}
    return {code: table[code] for code in codes}
