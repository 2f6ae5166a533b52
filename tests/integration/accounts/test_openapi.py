"""The OpenAPI document describes every accounts route truthfully: bodies, media types, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

JSON, FORM, MULTIPART = "application/json", "application/x-www-form-urlencoded", "multipart/form-data"
ROUTES = [
    # method, path, body fields, file fields, error statuses
    ("post", "/api/user/register", {"username", "email", "password", "confirm_password", "first_name", "last_name"},
     (), {"400", "429"}),
    ("post", "/api/user/login", {"username", "password"}, (), {"400", "401", "429"}),
    ("post", "/api/user/token/refresh", {"refresh"}, (), {"400", "401", "429"}),
    ("post", "/api/user/logout", {"refresh"}, (), {"400", "401", "403", "429"}),
    ("get", "/api/user/profiles", None, (), {"401", "404"}),
    ("post", "/api/user/profiles", {"username", "email", "first_name", "last_name", "bio", "address",
                                    "date_of_birth"}, ("profile_picture",), {"400", "401"}),
    ("get", "/api/user/profiles/me", None, (), {"401", "404"}),
    ("get", "/api/user/profiles/{profile_id}", None, (), {"401", "404"}),
    ("put", "/api/user/profiles/{profile_id}", {"bio", "address", "date_of_birth", "username"},
     ("profile_picture",), {"400", "401", "404"}),
    ("patch", "/api/user/profiles/{profile_id}", {"bio", "address", "date_of_birth", "username"},
     ("profile_picture",), {"400", "401", "404"}),
    ("delete", "/api/user/profiles/{profile_id}", None, (), {"401", "404"}),
]


@pytest.fixture
async def document(client: AsyncTestClient) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    paths = document["paths"]
    item = paths.get(path) or paths.get(f"{path}/")
    assert item is not None, f"{path} is not documented"
    assert method in item, f"{method.upper()} {path} is not documented"
    return item[method]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        assert name in document["components"]["schemas"], f"dangling reference {schema['$ref']}"
        schema = document["components"]["schemas"][name]
    return schema


@pytest.mark.parametrize(("method", "path", "fields", "files", "errors"), ROUTES,
                         ids=[f"{m} {p}" for m, p, *_ in ROUTES])
async def test_every_route_is_documented_with_its_bodies_and_errors(document: dict[str, Any], method: str,
                                                                    path: str, fields: set[str] | None,
                                                                    files: tuple[str, ...], errors: set[str]) -> None:
    described = operation(document, method, path)

    assert errors <= set(described["responses"])
    for status in errors:
        content = described["responses"][status]["content"]["application/json"]
        assert resolve(document, content["schema"])  # each error has a schema, and it resolves
    success = {"post": "201" if path in {"/api/user/register", "/api/user/profiles"} else "200",
               "get": "200", "put": "200", "patch": "200", "delete": "204"}[method]
    assert success in described["responses"]
    if fields is None:
        assert "requestBody" not in described
        return
    # One media type per body (generators mishandle several); the others are named in the description.
    body = described["requestBody"]
    content = body["content"]
    if files:
        assert set(content) == {MULTIPART}
        assert JSON in body["description"] and FORM in body["description"]
        properties = resolve(document, content[MULTIPART]["schema"])["properties"]
        for file_field in files:
            assert properties[file_field] == {"type": "string", "format": "binary"}
    else:
        assert set(content) == {JSON}
        assert FORM in body["description"] and MULTIPART in body["description"]
        properties = resolve(document, content[JSON]["schema"])["properties"]
    assert fields <= set(properties)
    assert "$ref" in next(iter(content.values()))["schema"]  # a named component, not an inline schema


async def test_profile_routes_declare_bearer_security(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    for method, path, *_ in ROUTES:
        if path.startswith("/api/user/profiles"):
            assert operation(document, method, path)["security"] == [{"BearerToken": []}]


async def test_the_list_documents_its_query_parameters(document: dict[str, Any]) -> None:
    parameters = {p["name"] for p in operation(document, "get", "/api/user/profiles")["parameters"]}
    assert {"page", "limits", "search"} <= parameters


async def test_every_reference_in_the_document_resolves(document: dict[str, Any]) -> None:
    def references(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [ref for value in node.values() for ref in references(value)]
        if isinstance(node, list):
            return [ref for value in node for ref in references(value)]
        return []

    for ref in references(document):
        resolve(document, {"$ref": ref})


async def test_operation_ids_are_short_unique_camel_case_names(document: dict[str, Any]) -> None:
    ids = {(method, path): described["operationId"] for path, item in document["paths"].items()
           for method, described in item.items() if isinstance(described, dict) and "operationId" in described}
    assert len(set(ids.values())) == len(ids)
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", value) for value in ids.values()), sorted(ids.values())
    assert ids[("post", "/api/user/login")] == "login"
    assert ids[("get", "/doctors")] == "listDoctors"
    assert ids[("post", "/appointments")] == "bookAppointment"
    assert ids[("get", "/designations/{taxon_id}")] == "getDesignation"
    assert ids[("delete", "/specialisations/{taxon_id}")] == "deleteSpecialisation"


async def test_component_names_carry_no_module_path(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) for name in names), sorted(names)
    assert {"PaginatedDoctorOut", "AppointmentCreate", "RegisterRequest", "AppointmentType"} <= names


async def test_choices_are_enums_and_paging_and_id_filters_are_integers(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["AppointmentType"]["enum"] == ["Online", "Offline"]
    assert schemas["AppointmentStatus"]["enum"] == ["Pendding", "Runing", "Complated"]
    assert schemas["AppointmentCreate"]["properties"]["appointment_type"]["enum"] == ["Online", "Offline"]
    parameters = {p["name"]: p["schema"] for p in operation(document, "get", "/appointments")["parameters"]}
    assert parameters["page"]["type"] == parameters["limits"]["type"] == "integer"
    assert parameters["patient_id"]["type"] == parameters["doctor_id"]["type"] == "integer"
    doctors = {p["name"]: p["schema"] for p in operation(document, "get", "/doctors")["parameters"]}
    assert doctors["designation"]["type"] == "integer"


async def test_a_limits_that_is_not_an_integer_is_refused_by_name_and_page_stays_invalid_page(
        document: dict[str, Any], client: AsyncTestClient) -> None:
    response = await client.get("/doctors/", params={"limits": "ten"})
    assert (response.status_code, response.json()) == (400, {"limits": ["A valid integer is required."]})
    response = await client.get("/doctors/", params={"page": "two"})
    assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})
    assert (await client.get("/doctors/", params={"limits": "0"})).status_code == 200
