"""Patients: list, read, create (for a caller who has no record), update and delete.

Admins see every patient, a doctor the patients who have an appointment with them, anyone their
own record. Only the patient themself or an admin may change a record; a treating doctor who
tries gets a 403, anyone else a 404.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from hospital.application import auditing
from hospital.application.access import require_authenticated
from hospital.application.auditing import attempt, entry
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.audit import AuditLog
from hospital.application.ports.patients import PatientRow, PatientScope
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.storage import ImageStorage, UploadedFile
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.application.staged_uploads import StagedUpload, staged_upload
from hospital.domain.actors import Actor
from hospital.domain.audit import AuditAction, ResourceType
from hospital.domain.errors import ConflictError, DomainError, NotFoundError, ValidationError
from hospital.domain.patients import ALREADY_A_PATIENT, DUPLICATE_PHONE, Patient, normalize_patient_phone

PROFILE_FOLDER = "patient_profiles"


@dataclass(frozen=True, slots=True)
class PatientChanges:
    """None leaves a field as it is; an empty phone clears it."""

    phone: str | None = None
    profile: UploadedFile | None = None


def _phone_filter(phone: str | None) -> str | None:
    """The stored spelling of a phone to filter by; text that is no phone can match nothing."""
    if phone is None or not phone.strip():
        return None
    try:
        return normalize_patient_phone(phone) or phone
    except ValidationError:
        return phone


class PatientUseCase:
    """The patient-record use cases' shared wiring and access rules."""

    def __init__(self, uow: UnitOfWorkFactory, images: ImageStorage, audit: AuditLog) -> None:
        self._uow, self._images, self._audit = uow, images, audit

    @staticmethod
    async def _treats(uow: UnitOfWork, actor: Actor, patient: Patient) -> bool:
        """Whether the actor is a doctor this patient has an appointment with."""
        if actor.doctor_id is None or actor.is_admin or patient.is_owned_by(actor):
            return False  # already decided without asking the database
        assert patient.id is not None
        return await uow.appointments.exists_between(patient_id=patient.id, doctor_id=actor.doctor_id)

    async def _changeable(self, uow: UnitOfWork, actor: Actor, patient_id: int) -> Patient:
        require_authenticated(actor)
        patient = await uow.patients.get(patient_id)
        if patient is None:
            raise NotFoundError()
        patient.ensure_changeable_by(actor, treated_by_actor=await self._treats(uow, actor, patient))
        return patient

    @staticmethod
    async def _row(uow: UnitOfWork, patient: Patient) -> PatientRow:
        # Not the user itself: that would be the ORM's, which a unit whose transaction is the
        # driver's may not use (ports/unit_of_work.py, SessionUnavailableError).
        # The username read with the record at its load, if it was (a change's): no statement.
        username = uow.patients.username_loaded(patient) or await uow.users.username_of(patient.user_id)
        assert username is not None, "a patient's user is deleted with it"
        return PatientRow.of(patient, username)

    @staticmethod
    async def _change_phone(uow: UnitOfWork, patient: Patient, phone: str | None) -> None:
        if phone is None:
            return
        phone = normalize_patient_phone(phone)
        # The record's own phone (a form sent again as it is) is no other's: the store keeps phones unique.
        if phone is not None and phone != patient.phone and await uow.patients.phone_taken(
                phone, exclude_id=patient.id):
            raise ConflictError.field("phone", DUPLICATE_PHONE)
        patient.change_phone(phone)

    def _staged_picture(self, changes: PatientChanges) -> AbstractAsyncContextManager[StagedUpload]:
        """The upload, stored before the transaction opens (image checks are slow and hold no lock),
        kept or removed by the transaction's outcome (staged_uploads.py)."""
        return staged_upload(self._images, changes.profile, folder=PROFILE_FOLDER, field="profile")


def _scope(actor: Actor) -> PatientScope | None:
    """What ``Patient.ensure_readable_by`` allows (admins all; a doctor their patients; a patient
    their own record), as a condition the read side applies."""
    return None if actor.is_admin else PatientScope(patient_id=actor.patient_id, doctor_id=actor.doctor_id)


def _list_filters(search: str, phone: str | None) -> dict[str, object]:
    # A phone number is never written to the audit log: only that the list was filtered by one.
    return {"search": search, "phone": PHONE_WITHHELD if phone else None}


PHONE_WITHHELD = "(withheld)"


class ListPatients:
    """A page of the patient records the caller may see (admins all; a doctor their patients; a patient their own).
    Audited: one event naming every patient on the page, with the filters."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor, *, page: PageRequest, search: str = "",
                       phone: str | None = None) -> Page[PatientRow]:
        return await auditing.searched(self._audit, actor, ResourceType.PATIENT,
                                       self._list(actor, page, search, phone),
                                       lambda found: [row.id for row in found.items], _list_filters(search, phone))

    @rerun_on_concurrent_change
    async def _list(self, actor: Actor, page: PageRequest, search: str, phone: str | None) -> Page[PatientRow]:
        require_authenticated(actor)
        # Surrounding blanks are no search term, as in the original.
        return await self._reads.patients.list(page=page, scope=_scope(actor), search=search.strip(),
                                               phone=_phone_filter(phone))


class GetPatient:
    """One patient record the caller may see; another's is 404. Audited, refusals included."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor, patient_id: int) -> PatientRow:
        try:
            row = await self._get(actor, patient_id)
        except DomainError as error:
            await auditing.refused(self._audit, actor, AuditAction.READ, ResourceType.PATIENT, error,
                                   resource_id=patient_id, patient_ids=(patient_id,))
            raise
        await auditing.read(self._audit, actor, ResourceType.PATIENT, row.id, row.id)
        return row

    @rerun_on_concurrent_change
    async def _get(self, actor: Actor, patient_id: int) -> PatientRow:
        require_authenticated(actor)
        row = await self._reads.patients.get(patient_id, scope=_scope(actor))
        if row is None:
            raise NotFoundError()
        return row


class CreatePatient(PatientUseCase):
    """A patient record for a caller who has none (every registered user starts with one)."""

    async def __call__(self, actor: Actor, changes: PatientChanges) -> PatientRow:
        async with attempt(self._audit, actor, AuditAction.CREATE, ResourceType.PATIENT):
            return await self._create(actor, changes)

    async def _create(self, actor: Actor, changes: PatientChanges) -> PatientRow:
        require_authenticated(actor)
        assert actor.user_id is not None
        if changes.profile is not None:
            # Refuse before the upload is checked and stored, which is the slow part.
            await self._ensure_none(actor.user_id)
        async with self._staged_picture(changes) as picture:
            return await self._enrol(actor, changes, picture)

    @rerun_on_concurrent_change
    async def _ensure_none(self, user_id: int) -> None:
        async with self._uow() as uow:
            if await uow.patients.get_by_user(user_id) is not None:
                raise ConflictError(ALREADY_A_PATIENT)

    @rerun_on_concurrent_change
    async def _enrol(self, actor: Actor, changes: PatientChanges, picture: StagedUpload) -> PatientRow:
        user_id = actor.user_id
        assert user_id is not None
        async with self._uow() as uow:
            if await uow.patients.get_by_user(user_id) is not None:
                raise ConflictError(ALREADY_A_PATIENT)
            patient = Patient.enrol(user_id=user_id, profile=picture.name)
            await self._change_phone(uow, patient, changes.phone)
            await uow.patients.add(patient)
            row = await self._row(uow, patient)
            await uow.audit.append(entry(actor, AuditAction.CREATE, ResourceType.PATIENT, resource_id=patient.id,
                                         patient_ids=[patient.id]))
            await picture.commit(uow)
        return row


class UpdatePatient(PatientUseCase):
    """The patient or an admin changes a record (phone, picture); only the fields sent change."""

    async def __call__(self, actor: Actor, patient_id: int, changes: PatientChanges) -> PatientRow:
        async with attempt(self._audit, actor, AuditAction.UPDATE, ResourceType.PATIENT, resource_id=patient_id,
                           patient_id=patient_id):
            if changes.profile is not None:
                # Refuse strangers before their upload is checked and stored.
                await self._refuse_before_upload(actor, patient_id)
            async with self._staged_picture(changes) as picture:
                return await self._update(actor, patient_id, changes, picture)

    @rerun_on_concurrent_change
    async def _refuse_before_upload(self, actor: Actor, patient_id: int) -> None:
        async with self._uow() as uow:
            await self._changeable(uow, actor, patient_id)

    @rerun_on_concurrent_change
    async def _update(self, actor: Actor, patient_id: int, changes: PatientChanges,
                      picture: StagedUpload) -> PatientRow:
        async with self._uow() as uow:
            patient = await self._changeable(uow, actor, patient_id)
            old_picture = patient.profile
            await self._change_phone(uow, patient, changes.phone)
            if picture.name is not None:
                patient.change_picture(picture.name)
            await uow.patients.save(patient)
            row = await self._row(uow, patient)
            await uow.audit.append(entry(actor, AuditAction.UPDATE, ResourceType.PATIENT, resource_id=patient_id,
                                         patient_ids=[patient_id]))
            await picture.commit(uow, replacing=old_picture)
        return row


class DeletePatient(PatientUseCase):
    """Deletes the record and the patient's appointments; the user account stays."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, patient_id: int) -> None:
        async with attempt(self._audit, actor, AuditAction.DELETE, ResourceType.PATIENT, resource_id=patient_id,
                           patient_id=patient_id), self._uow() as uow:
            patient = await self._changeable(uow, actor, patient_id)
            picture = patient.profile
            await uow.patients.delete(patient)
            await uow.audit.append(entry(actor, AuditAction.DELETE, ResourceType.PATIENT, resource_id=patient_id,
                                         patient_ids=[patient_id]))
            await uow.commit()
        if picture:
            await self._images.delete(picture)
