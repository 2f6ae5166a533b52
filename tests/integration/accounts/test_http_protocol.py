"""How every accounts endpoint reads bodies and answers at the edges of HTTP: encodings, methods, slashes."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.support.actors import PASSWORD
from tests.support.http import bearer, register_over_http

JSON = {"Content-Type": "application/json"}
WRITE_ROUTES = ["/api/user/register/", "/api/user/login/", "/api/user/token/refresh/", "/api/user/logout/"]


def registration(username: str) -> dict[str, str]:
    return {"username": username, "email": f"{username}@example.com", "password": PASSWORD,
            "confirm_password": PASSWORD}


@pytest.mark.parametrize("path", WRITE_ROUTES)
@pytest.mark.parametrize("raw", [b"{", b'{"username": }', b"\xff\xfe", b'{"a": 1} trailing'])
async def test_malformed_json_is_a_400_parse_error(client: AsyncTestClient, path: str, raw: bytes) -> None:
    response = await client.post(path, content=raw, headers=JSON)
    assert response.status_code == 400
    assert list(response.json()) == ["detail"]
    assert response.json()["detail"].startswith("JSON parse error - ")


async def test_absurdly_nested_json_is_a_parse_error_not_a_crash(client: AsyncTestClient) -> None:
    response = await client.post("/api/user/login/", content=b"[" * 100_000, headers=JSON)
    assert response.status_code == 400 and response.json()["detail"].startswith("JSON parse error")


@pytest.mark.parametrize(("content_type", "raw"), [
    ("multipart/form-data", b"username=alice"),
    ("multipart/form-data; boundary=xyz", b"garbage"),
    ("multipart/form-data; boundary=xyz", b'--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\nal'),
])
async def test_an_unreadable_multipart_body_is_a_400_parse_error(client: AsyncTestClient, content_type: str,
                                                                 raw: bytes) -> None:
    response = await client.post("/api/user/login/", content=raw, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert list(response.json()) == ["detail"]
    assert response.json()["detail"].startswith("Multipart form parse error - ")


@pytest.mark.parametrize("path", WRITE_ROUTES)
@pytest.mark.parametrize(("raw", "kind"), [
    (b"[1, 2]", "list"), (b'"text"', "str"), (b"3", "int"), (b"null", "NoneType"),
])
async def test_json_that_is_not_an_object_is_refused(client: AsyncTestClient, path: str, raw: bytes, kind: str) -> None:
    response = await client.post(path, content=raw, headers=JSON)
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}


@pytest.mark.parametrize("path", WRITE_ROUTES)
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "text/csv; charset=utf-8"])
async def test_unsupported_content_types_are_415(client: AsyncTestClient, path: str, content_type: str) -> None:
    response = await client.post(path, content=b"username=x", headers={"Content-Type": content_type})
    assert response.status_code == 415
    assert set(response.json()) == {"detail"}


async def test_json_with_a_charset_or_a_plus_json_type_is_read(client: AsyncTestClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/vnd.api+json"):
        body = f'{{"username": "u{len(content_type)}", "email": "u@example.com", "password": "{PASSWORD}", ' \
               f'"confirm_password": "{PASSWORD}"}}'
        response = await client.post("/api/user/register/", content=body.encode(),
                                     headers={"Content-Type": content_type})
        assert response.status_code == 201, response.text


@pytest.mark.parametrize("encoding", ["form", "multipart"])
async def test_every_write_accepts_urlencoded_and_multipart_bodies(client: AsyncTestClient, encoding: str) -> None:
    def send(fields: dict[str, str]) -> dict:
        if encoding == "form":
            return {"data": fields}
        # a stray file part forces multipart even when the endpoint takes no file
        return {"data": fields, "files": {"ignored": ("x.txt", b"x", "text/plain")}}

    registered = await client.post("/api/user/register/", **send(registration("formuser")))
    assert registered.status_code == 201, registered.text
    login = await client.post("/api/user/login/", **send({"username": "formuser", "password": PASSWORD}))
    assert login.status_code == 200, login.text
    refresh = await client.post("/api/user/token/refresh/", **send({"refresh": login.json()["refresh"]}))
    assert refresh.status_code == 200 and set(refresh.json()) == {"access"}
    logout = await client.post("/api/user/logout/", headers=bearer(login.json()["access"]),
                               **send({"refresh": login.json()["refresh"]}))
    assert logout.status_code == 200, logout.text
    profile_id = (await client.get("/api/user/profiles/me/", headers=bearer(refresh.json()["access"]))).json()["id"]
    patched = await client.patch(f"/api/user/profiles/{profile_id}/", headers=bearer(refresh.json()["access"]),
                                 **send({"bio": "from a form"}))
    assert patched.status_code == 200 and patched.json()["bio"] == "from a form"


async def test_a_form_with_a_repeated_key_takes_the_last_value(client: AsyncTestClient) -> None:
    await register_over_http(client, "alice")
    response = await client.post("/api/user/login/", content=f"username=nobody&username=alice&password={PASSWORD}",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200


async def test_an_empty_body_is_read_as_no_fields_and_every_missing_one_is_named(client: AsyncTestClient) -> None:
    response = await client.post("/api/user/login/")
    assert response.status_code == 400
    assert response.json() == {"username": ["This field is required."], "password": ["This field is required."]}


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/api/user/register/", "POST"),
    ("PUT", "/api/user/login/", "POST"),
    ("DELETE", "/api/user/token/refresh/", "POST"),
    ("GET", "/api/user/logout/", "POST"),
    ("DELETE", "/api/user/profiles/", "GET"),
    ("POST", "/api/user/profiles/me/", "GET"),
    ("POST", "/api/user/profiles/1/", "GET"),
])
async def test_a_wrong_method_is_405_with_allow(client: AsyncTestClient, method: str, path: str, allowed: str) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}
    assert allowed in response.headers["allow"]


@pytest.mark.parametrize("path", ["/api/user/register", "/api/user/register/"])
async def test_writes_work_with_and_without_the_trailing_slash(client: AsyncTestClient, path: str) -> None:
    response = await client.post(path, json=registration(f"slash{len(path)}"))
    assert response.status_code == 201
    assert response.headers.get("location") is None


async def test_every_route_answers_without_the_trailing_slash_and_no_redirect(client: AsyncTestClient) -> None:
    tokens = (await register_over_http(client, "alice"))["tokens"]
    headers = bearer(tokens["access"])
    login = await client.post("/api/user/login", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 200
    assert (await client.post("/api/user/token/refresh", json={"refresh": login.json()["refresh"]})).status_code == 200
    assert (await client.post("/api/user/logout", json={"refresh": login.json()["refresh"]})).status_code == 200
    assert (await client.get("/api/user/profiles", headers=headers)).status_code == 200
    me = await client.get("/api/user/profiles/me", headers=headers)
    assert me.status_code == 200
    item = f"/api/user/profiles/{me.json()['id']}"
    assert (await client.get(item, headers=headers)).status_code == 200
    assert (await client.put(item, json={"bio": "a"}, headers=headers)).status_code == 200
    assert (await client.patch(item, json={"bio": "b"}, headers=headers)).status_code == 200
    assert (await client.delete(item, headers=headers)).status_code == 204
    assert (await client.post("/api/user/profiles", json={}, headers=headers)).status_code == 201


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz", "Bearer a.b.c",
                                           "abc"])
async def test_a_bad_authorization_header_is_401_with_www_authenticate(client: AsyncTestClient,
                                                                        authorization: str) -> None:
    response = await client.get("/api/user/profiles/me/", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert set(response.json()) == {"detail"}


async def test_the_bearer_scheme_is_case_insensitive(client: AsyncTestClient) -> None:
    access = (await register_over_http(client))["tokens"]["access"]
    response = await client.get("/api/user/profiles/me/", headers={"Authorization": f"bearer {access}"})
    assert response.status_code == 200


async def test_responses_carry_the_security_headers(client: AsyncTestClient) -> None:
    response = await client.post("/api/user/login/", json={"username": "x", "password": "y"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")


async def test_errors_never_leak_a_stack_or_sql(client: AsyncTestClient) -> None:
    access = (await register_over_http(client))["tokens"]["access"]
    for response in (
        await client.get("/api/user/profiles/99999999999999999999/", headers=bearer(access)),
        await client.get("/api/user/profiles/", params={"page": "9" * 40}, headers=bearer(access)),
        await client.get("/api/user/profiles/", params={"search": "'; drop table users; --"}, headers=bearer(access)),
    ):
        assert response.status_code in {200, 404}
        assert "Traceback" not in response.text and "SELECT" not in response.text
