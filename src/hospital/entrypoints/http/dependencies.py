"""Names handlers declare to receive the wired use cases and the caller."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hospital.bootstrap import Container as Services
else:
    # dependency-injector instantiates DynamicContainer, which is no subclass of Container, so
    # Litestar's runtime type check would refuse it; type checkers still see the real class.
    Services = Any

__all__ = ["Services"]
