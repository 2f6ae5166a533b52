"""Imperative mapping: the domain's plain dataclasses stay free of SQLAlchemy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import registry

from hospital.adapters.sqlalchemy.tables import catalogue
from hospital.domain.catalogue import MedicalService
from hospital.domain.contacts import Contact
from hospital.domain.schedules import AvailableTime
from hospital.domain.taxonomy import Designation, Specialisation

mapper_registry = registry()
_started = False


def _map(entity: type, table: Table, **options: Any) -> None:
    # Every UPDATE and DELETE of the row names the version it was loaded at and moves it on; one
    # that matches no row (changed or deleted since) raises StaleDataError, which the unit of work
    # reports as ConcurrentChangeError. The attribute ``version`` is the mapping's, not the domain's.
    mapper_registry.map_imperatively(entity, table, version_id_col=table.c.version, **options)


def start_mappers() -> None:
    """Map these entities once per process; safe to call again. An appointment is not mapped: nothing
    loads it through a session (its repository is entity_table.py's statements), and a mapped class's
    instrumented ``__init__`` and attributes cost a booking more than its INSERT's parameters."""
    global _started
    if _started:
        return
    for entity, table in (
        (Designation, catalogue.designations), (Specialisation, catalogue.specialisations),
        (AvailableTime, catalogue.available_times), (MedicalService, catalogue.services),
        (Contact, catalogue.contacts),
    ):
        _map(entity, table)
    _started = True
