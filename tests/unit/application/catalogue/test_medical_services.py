"""Medical services: public reads; admins write; an image is required and replaced, never lost."""

from __future__ import annotations

import pytest

from hospital.application.actor import ANONYMOUS
from hospital.application.errors import AuthenticationError
from hospital.application.medical_services import MedicalServiceChanges
from hospital.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from tests.support.images import fake_image_upload, png_upload


def changes(**overrides) -> MedicalServiceChanges:
    fields = dict(name="X-ray", description="Imaging of bones.", image=png_upload())
    fields.update(overrides)
    return MedicalServiceChanges(**fields)


@pytest.fixture
def services(container):
    class Services:
        list = container.list_medical_services()
        get = container.get_medical_service()
        create = container.create_medical_service()
        update = container.update_medical_service()
        delete = container.delete_medical_service()

    return Services


async def test_anyone_lists_and_reads_them(services, boss, everyone):
    created = await services.create(boss, changes())
    for actor in everyone.values():
        assert [s.id for s in await services.list(actor)] == [created.id]
        assert (await services.get(actor, created.id)).name == "X-ray"


async def test_an_unknown_id_is_not_found(services, boss):
    for call in (lambda: services.get(ANONYMOUS, 9), lambda: services.update(boss, 9, changes()),
                 lambda: services.delete(boss, 9)):
        with pytest.raises(NotFoundError):
            await call()


async def test_anonymous_writes_need_authentication(services, boss):
    existing = await services.create(boss, changes())
    for call in (lambda: services.create(ANONYMOUS, changes()),
                 lambda: services.update(ANONYMOUS, existing.id, changes()),
                 lambda: services.delete(ANONYMOUS, existing.id)):
        with pytest.raises(AuthenticationError):
            await call()


async def test_patients_and_doctors_may_not_write(container, services, boss, non_admins):
    existing = await services.create(boss, changes())
    for actor in non_admins.values():
        for call in (lambda a=actor: services.create(a, changes()),
                     lambda a=actor: services.update(a, existing.id, changes(), partial=True),
                     lambda a=actor: services.delete(a, existing.id)):
            with pytest.raises(PermissionDeniedError):
                await call()
    assert len(await services.list(boss)) == 1
    assert list(container.images().files) == [existing.image]


async def test_an_admin_creates_with_an_image(container, services, boss):
    created = await services.create(boss, changes(name="  MRI "))
    assert (created.name, created.description) == ("MRI", "Imaging of bones.")
    assert created.image.startswith("services/") and created.image in container.images().files


async def test_create_needs_the_image_and_the_text(container, services, boss):
    with pytest.raises(ValidationError) as caught:
        await services.create(boss, changes(image=None))
    assert caught.value.errors == {"image": ["No file was submitted."]}
    with pytest.raises(ValidationError) as caught:
        await services.create(boss, MedicalServiceChanges(image=png_upload()))
    assert set(caught.value.errors) == {"name", "description"}
    assert (await services.list(boss), container.images().files) == ([], {})


async def test_bad_text_is_refused_before_the_image_is_stored(container, services, boss):
    with pytest.raises(ValidationError) as caught:
        await services.create(boss, changes(name="x" * 51, description=" "))
    assert set(caught.value.errors) == {"name", "description"}
    assert container.images().files == {}


async def test_a_file_that_is_no_image_is_refused(container, services, boss):
    with pytest.raises(ValidationError) as caught:
        await services.create(boss, changes(image=fake_image_upload()))
    assert list(caught.value.errors) == ["image"]
    assert await services.list(boss) == []


async def test_an_update_replaces_the_image_and_deletes_the_old_one(container, services, boss):
    created = await services.create(boss, changes())
    updated = await services.update(boss, created.id, MedicalServiceChanges(image=png_upload()), partial=True)
    assert updated.image != created.image and updated.name == "X-ray"
    assert list(container.images().files) == [updated.image]


async def test_an_update_without_an_image_keeps_it(services, boss):
    created = await services.create(boss, changes())
    updated = await services.update(boss, created.id, MedicalServiceChanges(name="CT", description="Scans."))
    assert (updated.name, updated.description, updated.image) == ("CT", "Scans.", created.image)


async def test_a_full_update_needs_the_text(container, services, boss):
    created = await services.create(boss, changes())
    with pytest.raises(ValidationError) as caught:
        await services.update(boss, created.id, MedicalServiceChanges(image=png_upload()))
    assert set(caught.value.errors) == {"name", "description"}
    assert list(container.images().files) == [created.image]


async def test_a_refused_update_stores_nothing(container, services, boss):
    created = await services.create(boss, changes())
    with pytest.raises(ValidationError):
        await services.update(boss, created.id, MedicalServiceChanges(name=" ", image=png_upload()), partial=True)
    assert list(container.images().files) == [created.image]
    assert (await services.get(boss, created.id)).name == "X-ray"


async def test_deleting_removes_the_image(container, services, boss):
    created = await services.create(boss, changes())
    await services.delete(boss, created.id)
    assert (await services.list(boss), container.images().files) == ([], {})
