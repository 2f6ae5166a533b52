"""The OpenAPI document describes every accounts route truthfully: bodies, media types, errors."""

from __future__ import annotations

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
    content = described["requestBody"]["content"]
    assert set(content) == {JSON, FORM, MULTIPART}
    for media_type in (JSON, FORM):
        properties = resolve(document, content[media_type]["schema"])["properties"]
        assert fields <= set(properties)
        assert not set(files) & set(properties)
    multipart = resolve(document, content[MULTIPART]["schema"])["properties"]
    assert fields <= set(multipart)
    for file_field in files:
        assert multipart[file_field] == {"type": "string", "format": "binary"}


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
