"""OpenAPI for bodies we read ourselves, the error responses every route may give, and the
conventions that make the document generate clean clients (openapi-python-client is tested:
tests/integration/accounts/test_generated_client.py).

Conventions, for every route (a new route follows them by using what is here):

- **Operation ids** are the handler's name in camelCase (``list_doctors`` -> ``listDoctors``,
  ``book_appointment`` -> ``bookAppointment``): short, stable, unique. A handler whose name is
  shared (one function per resource kind) passes ``operation_id=`` itself.
- **Request bodies**: handlers read their body once by Content-Type (body.py), so Litestar cannot
  see a ``data`` parameter; each write route names its msgspec struct with
  ``operation_class=openapi.body(Struct)``. The struct becomes a named component
  (``#/components/schemas/Struct``). The server accepts JSON, urlencoded and multipart forms
  for every body; the document offers one media type per body (JSON, or multipart when the body
  carries files), and says so in the body's description: generators mishandle a required
  body offered in several media types (openapi-python-client emits code that does not import).
- **Choices** are enums in the document (``choice()`` below), while the domain still parses the
  spellings it accepts.
- **Query parameters the server parses itself** (``page``, ``limits``, id filters) are declared
  as strings with a pattern so that the server's own messages answer a bad value; the document
  gives clients their real type, ``integer`` (``finished``).
- **Component names** carry no module path (``PaginatedDoctorOut``, not
  ``Paginated_hospital.entrypoints...DoctorOut_``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
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

from hospital.entrypoints.http.params import ID_FILTER_PATTERN, INTEGER_FILTER_PATTERN

if TYPE_CHECKING:
    from litestar import Request
    from litestar.handlers import HTTPRouteHandler

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


# Request body structs, as components (name -> JSON schema): filled by ``body()`` as the route
# modules are imported, added to the document by ``finished()``.
_BODY_COMPONENTS: dict[str, dict[str, Any]] = {}


def _component(struct: type, files: tuple[str, ...] = ()) -> str:
    """Register ``struct`` (and the structs it holds) as components; the name of its own."""
    (schema,), definitions = msgspec.json.schema_components([struct], ref_template=REF_TEMPLATE)
    name = schema["$ref"].removeprefix(REF_PREFIX)
    for definition_name, definition in definitions.items():
        definition = dict(definition)
        if not definition.get("required", True):
            del definition["required"]  # msgspec writes an empty list; OpenAPI 3.0 tools refuse one
        _BODY_COMPONENTS[definition_name] = definition
    if not files:
        return name
    # The multipart variant: the same fields plus the uploaded files, as binary strings.
    plain = _BODY_COMPONENTS[name]
    properties = dict(plain.get("properties", {}))
    for file_field in files:
        properties[file_field] = {"type": "string", "format": "binary"}
    multipart_name = f"{name}Multipart"
    _BODY_COMPONENTS[multipart_name] = {**plain, "properties": properties, "title": multipart_name}
    return multipart_name


def body(struct: type, *, files: tuple[str, ...] = (), required: bool = True,
         item: str | None = None) -> type[Operation]:
    """An operation class documenting ``struct`` as the body (a named component; see the module's doc).

    With ``item``, a 201 answer links to that item's operations (see ``created_links``).
    """
    name = _component(struct, files)
    media_type = MULTIPART if files else JSON
    others = f"{JSON} or {FORM}, without the files" if files else f"{FORM} or {MULTIPART}"
    content = {media_type: OpenAPIMediaType(schema=RawSchema({"$ref": REF_TEMPLATE.format(name=name)}))}
    description = f"Also accepted as {others}, with the same fields."

    @dataclass
    class DocumentedBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(required=required, content=content, description=description)
            created = (self.responses or {}).get("201")
            if item and isinstance(created, OpenAPIResponse):
                created.links = dict(created_links(item))

    DocumentedBody.__name__ = f"{struct.__name__}Operation"
    return DocumentedBody


def choice(*values: str, max_length: int = 32) -> Any:
    """A string field the domain parses, documented as an enum of ``values``."""
    return msgspec.Meta(max_length=max_length, extra_json_schema={"enum": list(values)})


def operation_id(route_handler: HTTPRouteHandler, http_method: str, path_components: list[str]) -> str:
    """The handler's name in camelCase: ``list_doctors`` -> ``listDoctors`` (OpenAPIConfig.operation_id_creator)."""
    first, *rest = route_handler.handler_name.strip("_").split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


_INTEGER_PATTERNS = {ID_FILTER_PATTERN, INTEGER_FILTER_PATTERN}
ID_FILTER_BOUND = 10**30 - 1
_GENERIC = re.compile(r"(?P<base>[A-Za-z][A-Za-z0-9]*)_(?P<argument>[\w.]+)_")


def _component_name(name: str) -> str:
    # Litestar names a generic struct's component after its parameter's dotted path:
    # Paginated_hospital.entrypoints.http.schemas.doctors.DoctorOut_ -> PaginatedDoctorOut.
    match = _GENERIC.fullmatch(name)
    if match is None or "." not in name:
        return name
    return match["base"] + match["argument"].rsplit(".", 1)[-1]


def _integer_parameter(parameter: dict[str, Any]) -> None:
    schema = parameter.get("schema", {})
    pattern = schema.get("pattern")
    name = parameter.get("name")
    if parameter.get("in") != "query":
        return
    if name == "page":
        parameter["schema"] = {"type": "integer", "minimum": 1, "description": schema.get("description", "")}
    elif pattern == ID_FILTER_PATTERN:
        # id_filters.py reads at most 30 digits (an id no column holds then matches nothing).
        parameter["schema"] = {"type": "integer", "minimum": -ID_FILTER_BOUND, "maximum": ID_FILTER_BOUND,
                               "description": schema.get("description", "")}
    elif name == "limits" or pattern in _INTEGER_PATTERNS:
        parameter["schema"] = {"type": "integer", "description": schema.get("description", "")}


def _walk_refs(node: Any, renames: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            name = ref.removeprefix(REF_PREFIX)
            node["$ref"] = REF_TEMPLATE.format(name=renames.get(name, name))
        for value in node.values():
            _walk_refs(value, renames)
    elif isinstance(node, list):
        for value in node:
            _walk_refs(value, renames)


# The DRF field-errors shape, {"field": ["message", ...]}: one component, not one model per operation.
_FIELD_ERRORS = {"additionalProperties": {"items": {"type": "string"}, "type": "array"}, "type": "object"}


def _named_field_errors(node: Any) -> Any:
    if node == _FIELD_ERRORS:
        return {"$ref": REF_TEMPLATE.format(name="FieldErrors")}
    if isinstance(node, dict):
        return {key: _named_field_errors(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_named_field_errors(value) for value in node]
    return node


def finished(document: dict[str, Any]) -> dict[str, Any]:
    """Litestar's document with the conventions of this module applied (a new dict)."""
    document = _named_field_errors(copy.deepcopy(document))
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["FieldErrors"] = {**_FIELD_ERRORS, "title": "FieldErrors",
                              "description": "Messages per field, as Django REST Framework reports them"}
    for name, schema in _BODY_COMPONENTS.items():
        schemas.setdefault(name, copy.deepcopy(schema))
    renames = {name: _component_name(name) for name in schemas
               if _component_name(name) != name and _component_name(name) not in schemas}
    components["schemas"] = {renames.get(name, name): schema for name, schema in sorted(schemas.items())}
    _walk_refs(document, renames)
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                for parameter in operation.get("parameters", []):
                    _integer_parameter(parameter)
    return document


class FinishedJsonRenderPlugin(JsonRenderPlugin):
    """/schema/openapi.json: the finished document, made once per application."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        cached = getattr(self, "_finished", None)
        if cached is None or cached[0] is not openapi_schema:
            cached = self._finished = (openapi_schema, finished(openapi_schema))
        return super().render(request, cached[1])


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
ERROR_409 = ResponseSpec(data_container=FieldErrors | Detail,  # type: ignore[arg-type]
                         description="Changed by other requests each time it was tried: reload and retry; or "
                                     "(dated scheduling) the slot or the patient's time is taken, per field")
ERROR_422 = ResponseSpec(data_container=Detail, description="The Idempotency-Key was used with a different request")
ERROR_429 = ResponseSpec(data_container=Detail, description="Rate limited; see Retry-After")


def errors(*codes: int) -> dict[int, ResponseSpec]:
    # 400 always: any route with parameters may refuse them, and Litestar would otherwise document
    # its own {status_code, detail, extra} shape, which this API never answers.
    codes = tuple(sorted({400, *codes}))
    table = {400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409, 422: ERROR_422,
             429: ERROR_429}
    # Litestar's generated examples are random strings: noise in the docs, and a different schema each run.
    return {code: replace(table[code], generate_examples=False) for code in codes}
