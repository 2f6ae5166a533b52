"""Checks every use case starts with."""

from hospital.application.errors import AuthenticationError
from hospital.domain.actors import Actor
from hospital.domain.errors import PermissionDeniedError


def require_authenticated(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise AuthenticationError()


def require_admin(actor: Actor) -> None:
    require_authenticated(actor)
    if not actor.is_admin:
        raise PermissionDeniedError()
