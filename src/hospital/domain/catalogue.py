"""The hospital's catalogue of medical services (not to be confused with application services)."""

from __future__ import annotations

from dataclasses import dataclass

from hospital.domain.errors import ErrorCollector, ValidationError
from hospital.domain.text import required_text

NAME_MAX = 50
DESCRIPTION_MAX = 5000


def _required_image(image: str | None) -> str:
    if not image:
        raise ValidationError.field("image", "No file was submitted.")
    return image


@dataclass(eq=False)
class MedicalService:
    name: str
    description: str
    image: str
    id: int | None = None

    @classmethod
    def create(cls, *, name: str, description: str, image: str) -> MedicalService:
        errors = ErrorCollector()
        name = errors.check("name", lambda: required_text(name, "name", NAME_MAX))
        description = errors.check(
            "description", lambda: required_text(description, "description", DESCRIPTION_MAX)
        )
        image = errors.check("image", lambda: _required_image(image))
        errors.raise_if_any()
        return cls(name=name, description=description, image=image)

    def update(self, *, name: str | None = None, description: str | None = None,
               image: str | None = None) -> None:
        """None leaves a field as it is; the image can be replaced but never removed."""
        errors = ErrorCollector()
        if name is not None:
            name = errors.check("name", lambda: required_text(name, "name", NAME_MAX))
        if description is not None:
            description = errors.check(
                "description", lambda: required_text(description, "description", DESCRIPTION_MAX)
            )
        if image is not None:
            image = errors.check("image", lambda: _required_image(image))
        errors.raise_if_any()
        if name is not None:
            self.name = name
        if description is not None:
            self.description = description
        if image is not None:
            self.image = image
