"""Every public use case and command of the application layer says what it is (help(), IDEs, mypy users)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import hospital.application

MODULES = [info.name for info in pkgutil.walk_packages(hospital.application.__path__, "hospital.application.")
           if ".ports" not in info.name]


def test_every_public_class_of_the_application_layer_has_a_docstring() -> None:
    undocumented = []
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if attribute.startswith("_") or not inspect.isclass(value) or value.__module__ != name:
                continue
            if not (value.__doc__ or "").strip() or value.__doc__ == _generated_doc(value):
                undocumented.append(f"{name}.{attribute}")
    assert undocumented == []


def _generated_doc(value: type) -> str | None:
    # dataclasses write "Name(field: type, ...)" as the docstring of a class that has none.
    return f"{value.__name__}{inspect.signature(value)}".replace(" -> None", "") if hasattr(
        value, "__dataclass_fields__") else None
