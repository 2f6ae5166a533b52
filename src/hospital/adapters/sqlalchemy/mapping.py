"""Imperative mapping: the domain's plain dataclasses stay free of SQLAlchemy."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import composite, registry

from hospital.adapters.sqlalchemy.tables import accounts, care, catalogue
from hospital.domain.appointments import Appointment
from hospital.domain.catalogue import MedicalService
from hospital.domain.contacts import Contact
from hospital.domain.doctors import Doctor
from hospital.domain.patients import Patient
from hospital.domain.profiles import UserProfile
from hospital.domain.reviews import Rating, Review
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


def start_mappers() -> None:
    """Map every entity once per process; safe to call again."""
    global _started
    if _started:
        return
    mapper_registry.map_imperatively(User, accounts.users)
    mapper_registry.map_imperatively(UserProfile, accounts.user_profiles)
    mapper_registry.map_imperatively(Patient, accounts.patients)
    mapper_registry.map_imperatively(Designation, catalogue.designations)
    mapper_registry.map_imperatively(Specialisation, catalogue.specialisations)
    mapper_registry.map_imperatively(AvailableTime, catalogue.available_times)
    mapper_registry.map_imperatively(Doctor, catalogue.doctors)
    event.listen(Doctor, "load", _doctor_loaded)
    mapper_registry.map_imperatively(MedicalService, catalogue.services)
    mapper_registry.map_imperatively(Contact, catalogue.contacts)
    mapper_registry.map_imperatively(Appointment, care.appointments)
    mapper_registry.map_imperatively(
        Review, care.reviews,
        # The column holds the number of stars; the entity holds a Rating value object.
        properties={"_rating_stars": care.reviews.c.rating, "rating": composite(Rating, care.reviews.c.rating)},
    )
    _started = True
