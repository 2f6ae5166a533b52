"""Imperative mapping: the domain's plain dataclasses stay free of SQLAlchemy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.orm import registry

from hospital.adapters.sqlalchemy.tables import accounts, care, catalogue
from hospital.domain.appointments import Appointment
from hospital.domain.catalogue import MedicalService
from hospital.domain.contacts import Contact
from hospital.domain.doctors import Doctor
from hospital.domain.profiles import UserProfile
from hospital.domain.schedules import AvailableTime
from hospital.domain.taxonomy import Designation, Specialisation
from hospital.domain.users import User

mapper_registry = registry()
_started = False


def _doctor_loaded(doctor: Doctor, _context) -> None:
    # The id lists live in link tables that the doctor repository loads in bulk; a doctor
    # loaded any other way still gets valid (empty) lists rather than missing attributes.
    for name in ("designation_ids", "specialisation_ids", "available_time_ids"):
        if name not in doctor.__dict__:
            setattr(doctor, name, [])


def _map(entity: type, table: Table, **options: Any) -> None:
    # Every UPDATE and DELETE of the row names the version it was loaded at and moves it on; one
    # that matches no row (changed or deleted since) raises StaleDataError, which the unit of work
    # reports as ConcurrentChangeError. The attribute ``version`` is the mapping's, not the domain's.
    mapper_registry.map_imperatively(entity, table, version_id_col=table.c.version, **options)


def start_mappers() -> None:
    """Map every entity once per process; safe to call again."""
    global _started
    if _started:
        return
    for entity, table in (
        (User, accounts.users), (UserProfile, accounts.user_profiles),
        (Designation, catalogue.designations), (Specialisation, catalogue.specialisations),
        (AvailableTime, catalogue.available_times), (Doctor, catalogue.doctors), (MedicalService, catalogue.services),
        (Contact, catalogue.contacts), (Appointment, care.appointments),
    ):
        # The doctor's link copies are the database's (triggers), never written by the ORM.
        _map(entity, table, **({"exclude_properties": catalogue.LINKED_ID_COPIES} if entity is Doctor else {}))
    event.listen(Doctor, "load", _doctor_loaded)
    _started = True
