"""The caller of a use case. Defined in the domain so entities can check it; re-exported here."""

from hospital.domain.actors import ANONYMOUS, Actor

__all__ = ["ANONYMOUS", "Actor"]
