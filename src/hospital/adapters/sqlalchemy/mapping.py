"""Imperative mapping: the domain's plain dataclasses stay free of SQLAlchemy."""

from __future__ import annotations

from sqlalchemy.orm import registry

from hospital.adapters.sqlalchemy.tables import accounts
from hospital.domain.patients import Patient
from hospital.domain.profiles import UserProfile
from hospital.domain.users import User

mapper_registry = registry()
_started = False


def start_mappers() -> None:
    """Map every entity once per process; safe to call again."""
    global _started
    if _started:
        return
    mapper_registry.map_imperatively(User, accounts.users)
    mapper_registry.map_imperatively(UserProfile, accounts.user_profiles)
    mapper_registry.map_imperatively(Patient, accounts.patients)
    _started = True
