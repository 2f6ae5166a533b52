import pytest

from hospital.domain.catalogue import MedicalService
from hospital.domain.errors import ValidationError


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


def make() -> MedicalService:
    return MedicalService.create(name="Radiology", description="X-ray and MRI scans.", image="services/a.png")


def test_create_strips_text_and_keeps_the_image_name():
    service = MedicalService.create(name=" Radiology ", description="\nScans.\n", image="services/a.png")
    assert (service.name, service.description, service.image, service.id) == (
        "Radiology", "Scans.", "services/a.png", None,
    )


def test_create_reports_every_problem_at_once():
    assert errors_of(lambda: MedicalService.create(name=" ", description="", image="")) == {
        "name": ["This field may not be blank."],
        "description": ["This field may not be blank."],
        "image": ["No file was submitted."],
    }


def test_name_is_at_most_50_and_description_at_most_5000_characters():
    assert MedicalService.create(name="n" * 50, description="d" * 5000, image="i.png").name == "n" * 50
    assert errors_of(lambda: MedicalService.create(name="n" * 51, description="d" * 5001, image="i.png")) == {
        "name": ["Ensure this field has no more than 50 characters."],
        "description": ["Ensure this field has no more than 5000 characters."],
    }


def test_update_changes_only_the_given_fields():
    service = make()
    service.update(description=" Scans of all kinds. ", image="services/b.png")
    assert (service.name, service.description, service.image) == (
        "Radiology", "Scans of all kinds.", "services/b.png",
    )


def test_update_changes_nothing_when_any_field_is_invalid():
    service = make()
    errors = errors_of(lambda: service.update(name="Imaging", description=" ", image=""))
    assert set(errors) == {"description", "image"}
    assert (service.name, service.description, service.image) == (
        "Radiology", "X-ray and MRI scans.", "services/a.png",
    )
