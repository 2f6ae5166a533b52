"""/services over HTTP: a plain public array; admins write by multipart with a required image."""

from __future__ import annotations

import pytest

from tests.support.images import NOT_AN_IMAGE, png_bytes
from tests.support.sql_statements import counted_statements, engines_of

PATH = "/services/"
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}


def image(content: bytes | None = None) -> dict:
    return {"image": ("xray.png", png_bytes() if content is None else content, "image/png")}


async def create(client, headers, **fields) -> dict:
    data = {"name": "X-ray", "description": "Imaging of bones.", **fields}
    response = await client.post(PATH, data=data, files=image(), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_admin_creates_one_and_anyone_reads_it(client, admin_caller, patient_caller):
    made = await create(client, admin_caller.headers)
    assert list(made) == ["id", "image", "name", "description"]
    assert made["image"].startswith("http://testserver.local/media/services/") and made["image"].endswith(".png")
    assert (made["name"], made["description"]) == ("X-ray", "Imaging of bones.")
    for headers in ({}, patient_caller.headers):
        assert (await client.get(PATH, headers=headers)).json() == [made]
        assert (await client.get(f"{PATH}{made['id']}", headers=headers)).json() == made
    served = await client.get(made["image"].removeprefix("http://testserver.local"))
    assert (served.status_code, served.content) == (200, png_bytes())


async def test_an_unknown_id_is_404(client, admin_caller):
    for response in (await client.get(f"{PATH}9/"), await client.put(f"{PATH}9/", data={"name": "x"},
                                                                      headers=admin_caller.headers),
                     await client.patch(f"{PATH}9/", data={"name": "x"}, headers=admin_caller.headers),
                     await client.delete(f"{PATH}9/", headers=admin_caller.headers)):
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


async def test_anonymous_writes_are_401_and_non_admin_writes_403(client, admin_caller, non_admin_callers):
    made = await create(client, admin_caller.headers)
    item = f"{PATH}{made['id']}/"
    for response in (await client.post(PATH, data={"name": "x", "description": "y"}, files=image()),
                     await client.put(item, data={"name": "x", "description": "y"}),
                     await client.patch(item, data={"name": "x"}), await client.delete(item)):
        assert response.status_code == 401 and "www-authenticate" in response.headers
    for caller in non_admin_callers:
        for response in (
            await client.post(PATH, data={"name": "x", "description": "y"}, files=image(), headers=caller.headers),
            await client.put(item, data={"name": "x", "description": "y"}, headers=caller.headers),
            await client.patch(item, data={"name": "x"}, headers=caller.headers),
            await client.delete(item, headers=caller.headers),
        ):
            assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert (await client.get(PATH)).json() == [made]


async def test_an_admin_updates_and_deletes(client, admin_caller):
    made = await create(client, admin_caller.headers)
    item = f"{PATH}{made['id']}/"
    put = await client.put(item, data={"name": "MRI", "description": "Magnetic."}, headers=admin_caller.headers)
    assert put.json() == {**made, "name": "MRI", "description": "Magnetic."}
    patch = await client.patch(item, files=image(png_bytes("red")), headers=admin_caller.headers)
    assert patch.status_code == 200 and patch.json()["image"] != made["image"]
    assert (await client.get(made["image"].removeprefix("http://testserver.local"))).status_code == 404
    assert (await client.delete(item, headers=admin_caller.headers)).status_code == 204
    assert (await client.get(PATH)).json() == []


@pytest.mark.parametrize(("data", "files", "errors"), [
    ({"name": "X", "description": "Y"}, None, {"image": ["No file was submitted."]}),
    ({"name": "X", "description": "Y"}, image(NOT_AN_IMAGE), {"image": [
        "Upload a valid image. The file you uploaded was either not an image or a corrupted image."]}),
    ({"name": "X", "description": "Y"}, image(b""), {"image": ["The submitted file is empty."]}),
    ({"name": "x" * 51, "description": "Y"}, image(), {"name": ["Ensure this field has no more than 50 characters."]}),
    ({"description": "Y"}, image(), {"name": ["This field is required."]}),
    ({"name": "X", "description": "   "}, image(), {"description": ["This field may not be blank."]}),
])
async def test_bad_input_is_a_400_and_stores_nothing(client, admin_caller, data, files, errors):
    response = await client.post(PATH, data=data, files=files, headers=admin_caller.headers)
    assert (response.status_code, response.json()) == (400, errors)
    assert (await client.get(PATH)).json() == []


async def test_json_cannot_carry_the_image(client, admin_caller):
    response = await client.post(PATH, json={"name": "X", "description": "Y", "image": "x.png"},
                                 headers=admin_caller.headers)
    assert (response.status_code, response.json()) == (400, {"image": ["No file was submitted."]})


async def test_a_full_update_needs_the_text_but_not_the_image(client, admin_caller):
    made = await create(client, admin_caller.headers)
    response = await client.put(f"{PATH}{made['id']}/", data={"name": "Only"}, headers=admin_caller.headers)
    assert (response.status_code, response.json()) == (400, {"description": ["This field is required."]})


async def test_a_change_without_an_image_reads_the_service_once(client, sql_container, admin_caller):
    # Only an upload is worth a unit of its own that refuses bad text first: without one, the
    # update is one unit of work (one read of the row for change, one UPDATE).
    made = await create(client, admin_caller.headers)
    with counted_statements(*engines_of(sql_container)) as statements:
        response = await client.patch(f"{PATH}{made['id']}/", data={"description": "Of bones."},
                                      headers=admin_caller.headers)
    assert (response.status_code, response.json()) == (200, {**made, "description": "Of bones."})
    services = [s.split()[0].upper() for s in statements if "services.version" in s]
    assert services == ["SELECT", "UPDATE"], statements
    with counted_statements(*engines_of(sql_container)) as statements:
        response = await client.patch(f"{PATH}{made['id']}/", data={"name": ""}, files=image(),
                                      headers=admin_caller.headers)
    assert (response.status_code, response.json()) == (400, {"name": ["This field may not be blank."]})
    assert [s.split()[0].upper() for s in statements if "services.version" in s] == ["SELECT"]
