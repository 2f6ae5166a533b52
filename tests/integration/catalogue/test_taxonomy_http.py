"""/designations and /specialisations over HTTP: plain arrays, admin writes, slugs."""

from __future__ import annotations

import pytest

from tests.support.sql_statements import counted_statements, engines_of

UNAUTHENTICATED = {"detail": "Authentication credentials were not provided."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}


@pytest.fixture(params=["designations", "specialisations"])
def resource(request) -> tuple[str, str]:
    """(path, the label duplicate-slug messages use)."""
    return f"/{request.param}/", request.param[:-1]


async def create(client, path, headers, **body) -> dict:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_anyone_lists_them_as_a_plain_array(client, resource, admin_caller, patient_caller):
    path, _ = resource
    assert (await client.get(path)).json() == []
    made = await create(client, path, admin_caller.headers, name="Senior Consultant")
    assert made == {"id": made["id"], "name": "Senior Consultant", "slug": "senior-consultant"}
    for headers in ({}, patient_caller.headers, admin_caller.headers):
        response = await client.get(path, headers=headers)
        assert (response.status_code, response.json()) == (200, [made])
    assert (await client.get(path.rstrip("/"))).json() == [made]


async def test_anyone_reads_one_and_an_unknown_id_is_404(client, resource, admin_caller):
    path, _ = resource
    made = await create(client, path, admin_caller.headers, name="Cardiology", slug="cardio")
    for url in (f"{path}{made['id']}/", f"{path}{made['id']}"):
        response = await client.get(url)
        assert (response.status_code, response.json()) == (200, made)
    for url in (f"{path}999/", f"{path}{2**40}/", f"{path}abc/"):
        response = await client.get(url)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


async def test_writes_by_anonymous_callers_are_401_with_a_challenge(client, resource, admin_caller):
    path, _ = resource
    made = await create(client, path, admin_caller.headers, name="Existing")
    item = f"{path}{made['id']}/"
    for response in (
        await client.post(path, json={"name": "X"}),
        await client.put(item, json={"name": "X"}),
        await client.patch(item, json={"name": "X"}),
        await client.delete(item),
    ):
        assert (response.status_code, response.json()) == (401, UNAUTHENTICATED)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await client.get(path)).json() == [made]


async def test_writes_by_patients_and_doctors_are_403(client, resource, admin_caller, non_admin_callers):
    path, _ = resource
    made = await create(client, path, admin_caller.headers, name="Existing")
    before = (await client.get(path)).json()
    for caller in non_admin_callers:
        for response in (
            await client.post(path, json={"name": "X"}, headers=caller.headers),
            await client.put(f"{path}{made['id']}/", json={"name": "X"}, headers=caller.headers),
            await client.patch(f"{path}{made['id']}/", json={"name": "X"}, headers=caller.headers),
            await client.delete(f"{path}{made['id']}/", headers=caller.headers),
        ):
            assert (response.status_code, response.json()) == (403, FORBIDDEN), caller.name
    assert (await client.get(path)).json() == before


async def test_an_admin_updates_and_deletes(client, resource, admin_caller):
    path, _ = resource
    made = await create(client, path, admin_caller.headers, name="Old")
    item = f"{path}{made['id']}/"
    put = await client.put(item, json={"name": "New", "slug": "new-slug"}, headers=admin_caller.headers)
    assert (put.status_code, put.json()) == (200, {"id": made["id"], "name": "New", "slug": "new-slug"})
    patch = await client.patch(item, json={"slug": ""}, headers=admin_caller.headers)
    assert (patch.status_code, patch.json()["slug"]) == (200, "new")
    deleted = await client.delete(item.rstrip("/"), headers=admin_caller.headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await client.get(item)).status_code == 404
    for response in (await client.put(item, json={"name": "X"}, headers=admin_caller.headers),
                     await client.patch(item, json={"name": "X"}, headers=admin_caller.headers),
                     await client.delete(item, headers=admin_caller.headers)):
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


async def test_forms_work_as_well_as_json(client, resource, admin_caller):
    path, _ = resource
    urlencoded = await client.post(path, data={"name": "Form Made"}, headers=admin_caller.headers)
    multipart = await client.post(path, data={"name": "Multi Part", "slug": "mp"}, files={"x": ("x", b"x")},
                                  headers=admin_caller.headers)
    assert (urlencoded.status_code, urlencoded.json()["slug"]) == (201, "form-made")
    assert (multipart.status_code, multipart.json()["slug"]) == (201, "mp")


async def test_a_duplicate_slug_is_a_400_naming_slug(client, resource, admin_caller):
    path, label = resource
    made = await create(client, path, admin_caller.headers, name="Cardiology")
    for body in ({"name": "Cardiology"}, {"name": "Other", "slug": "cardiology"}):
        response = await client.post(path, json=body, headers=admin_caller.headers)
        assert (response.status_code, response.json()) == (400, {"slug": [f"{label} with this slug already exists."]})
    other = await create(client, path, admin_caller.headers, name="Other")
    response = await client.patch(f"{path}{other['id']}/", json={"slug": "cardiology"}, headers=admin_caller.headers)
    assert response.status_code == 400 and "slug" in response.json()
    assert [t["slug"] for t in (await client.get(path)).json()] == [made["slug"], "other"]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "X", "slug": "Not A Slug"}, "slug"),
    ({"name": "X", "slug": "s" * 61}, "slug"),
    ({"name": "x" * 51}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "!!!"}, "slug"),
    ({"name": 5}, "name"),
    ({"name": ["a"]}, "name"),
    ({"slug": "only-slug"}, "name"),
])
async def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(client, resource, admin_caller, body, field):
    path, _ = resource
    response = await client.post(path, json=body, headers=admin_caller.headers)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert (await client.get(path)).json() == []


async def test_a_full_update_needs_the_name(client, resource, admin_caller):
    path, _ = resource
    made = await create(client, path, admin_caller.headers, name="Keep")
    response = await client.put(f"{path}{made['id']}/", json={"slug": "x"}, headers=admin_caller.headers)
    assert (response.status_code, response.json()) == (400, {"name": ["This field is required."]})


async def test_malformed_bodies_are_400_not_500(client, resource, admin_caller):
    path, _ = resource
    headers = {**admin_caller.headers, "content-type": "application/json"}
    # Unreadable JSON is {"detail": ...}; readable JSON of the wrong shape is a non-field error (as DRF).
    for raw, key in ((b"{", "detail"), (b"[1, 2]", "non_field_errors"), (b'"text"', "non_field_errors")):
        response = await client.post(path, content=raw, headers=headers)
        assert response.status_code == 400 and key in response.json()


async def test_a_change_that_keeps_the_slug_does_not_look_it_up(client, sql_container, resource, admin_caller):
    # The record's own slug is no other's (the unique key), so only a new slug is checked.
    path, _ = resource
    made = await create(client, path, admin_caller.headers, name="Cardiology", slug="cardio")
    for body, checks in (({"name": "Heart"}, 0), ({"slug": "cardio"}, 0), ({"slug": "heart"}, 1)):
        with counted_statements(*engines_of(sql_container)) as statements:
            response = await client.patch(f"{path}{made['id']}/", json=body, headers=admin_caller.headers)
        assert response.status_code == 200, response.text
        assert sum("EXISTS" in statement for statement in statements) == checks, (body, statements)
    assert (await client.get(f"{path}{made['id']}/")).json() == {"id": made["id"], "name": "Heart", "slug": "heart"}
