"""The SQL read side (application/ports/read_side.py): every read port on the one runner of
committed reads (direct_reads.py ``CommittedReads``), so no pure read ever opens an ORM session.

The same query classes serve a unit of work whose command answers with a read model (a created
review, an updated doctor): there they run on the unit's ``Reads``, inside its transaction, to
see its own writes. Each query is written once.
"""

from __future__ import annotations

from functools import cached_property

from hospital.adapters.sqlalchemy.accounts import KnownActors, SqlAlchemyActorReads
from hospital.adapters.sqlalchemy.appointments import SqlAlchemyAppointmentQueries
from hospital.adapters.sqlalchemy.catalogue_reads import (
    SqlAlchemyAvailableTimeReads,
    TableReads,
    contact_reads,
    medical_service_reads,
    taxon_reads,
)
from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.doctor_reads import SqlAlchemyDoctorReadQueries
from hospital.adapters.sqlalchemy.patients import SqlAlchemyPatientQueries
from hospital.adapters.sqlalchemy.profile_reads import SqlAlchemyProfileReads
from hospital.adapters.sqlalchemy.reviews import SqlAlchemyReviewViews
from hospital.adapters.sqlalchemy.schedules import SqlAlchemySlotSourceQueries
from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.application.ports.catalogue import ContactView, MedicalServiceView, TaxonView


class SqlAlchemyReadSide:
    def __init__(self, reads: ReadRunner, dialect: str) -> None:
        self._reads, self._dialect = reads, dialect

    @cached_property
    def actors(self) -> SqlAlchemyActorReads:
        return SqlAlchemyActorReads(self._reads, KnownActors())

    @cached_property
    def doctors(self) -> SqlAlchemyDoctorReadQueries:
        return SqlAlchemyDoctorReadQueries(self._reads)

    @cached_property
    def reviews(self) -> SqlAlchemyReviewViews:
        return SqlAlchemyReviewViews(self._reads)

    @cached_property
    def patients(self) -> SqlAlchemyPatientQueries:
        return SqlAlchemyPatientQueries(self._reads)

    @cached_property
    def appointments(self) -> SqlAlchemyAppointmentQueries:
        return SqlAlchemyAppointmentQueries(self._reads)

    @cached_property
    def profiles(self) -> SqlAlchemyProfileReads:
        return SqlAlchemyProfileReads(self._reads)

    @cached_property
    def designations(self) -> TableReads[TaxonView]:
        return taxon_reads(self._reads, t.designations)

    @cached_property
    def specialisations(self) -> TableReads[TaxonView]:
        return taxon_reads(self._reads, t.specialisations)

    @cached_property
    def available_times(self) -> SqlAlchemyAvailableTimeReads:
        return SqlAlchemyAvailableTimeReads(self._reads)

    @cached_property
    def medical_services(self) -> TableReads[MedicalServiceView]:
        return medical_service_reads(self._reads)

    @cached_property
    def contacts(self) -> TableReads[ContactView]:
        return contact_reads(self._reads)

    @cached_property
    def schedules(self) -> SqlAlchemySlotSourceQueries:
        return SqlAlchemySlotSourceQueries(self._reads, self._dialect, reuse=True)
