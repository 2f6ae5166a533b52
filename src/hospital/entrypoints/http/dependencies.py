"""Types handlers declare to receive the wired use cases (`container`) and the caller (`actor`)."""

from __future__ import annotations

from litestar.di import NamedDependency
from litestar.params import SkipValidation

from hospital.application.actor import Actor
from hospital.bootstrap import Container

# dependency-injector instantiates a DynamicContainer, which is no subclass of Container, so
# Litestar must not type-check it at runtime; type checkers still see the real class.
Services = NamedDependency[SkipValidation[Container]]
CurrentActor = NamedDependency[Actor]

__all__ = ["CurrentActor", "Services"]
