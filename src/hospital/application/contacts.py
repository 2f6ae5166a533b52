"""Contact requests: anyone submits one (the public contact form); only admins read or change them."""

from __future__ import annotations

from dataclasses import dataclass

from hospital.application import auditing
from hospital.application.access import require_admin
from hospital.application.auditing import attempt, entry
from hospital.application.ports.audit import AuditLog
from hospital.application.ports.catalogue import ContactView
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.required_fields import require_fields
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.audit import AuditAction, ResourceType
from hospital.domain.contacts import Contact
from hospital.domain.errors import DomainError, NotFoundError


@dataclass(frozen=True, slots=True)
class ContactChanges:
    """What a visitor sends to the contact form, or an admin to change a request. None means "not sent"."""

    name: str | None = None
    phone: str | None = None
    massage: str | None = None


class ContactUseCase:
    """The contact-request use cases' shared wiring."""

    def __init__(self, uow: UnitOfWorkFactory, audit: AuditLog) -> None:
        self._uow, self._audit = uow, audit

    @staticmethod
    async def _get(uow: UnitOfWork, contact_id: int) -> Contact:
        contact = await uow.contacts.get(contact_id)
        if contact is None:
            raise NotFoundError()
        return contact


class SubmitContact(ContactUseCase):
    """Open to anyone, signed in or not; the HTTP layer rate-limits it per client address."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, changes: ContactChanges) -> ContactView:
        # A signed-in patient's request is their data: it names their record.
        async with attempt(self._audit, actor, AuditAction.CREATE, ResourceType.CONTACT, patient_id=actor.patient_id):
            require_fields(name=changes.name, phone=changes.phone, massage=changes.massage)
            assert changes.name is not None and changes.phone is not None and changes.massage is not None
            contact = Contact.create(name=changes.name, phone=changes.phone, massage=changes.massage)
            async with self._uow() as uow:
                await uow.contacts.add(contact)
                await uow.audit.append(entry(actor, AuditAction.CREATE, ResourceType.CONTACT, resource_id=contact.id,
                                             patient_ids=[actor.patient_id]))
                await uow.commit()
        return ContactView.of(contact)


class ListContacts:
    """Admins only: every contact request submitted. Audited (a request names no patient record)."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor) -> list[ContactView]:
        # A contact request has no patient link: the event names nobody.
        return await auditing.searched(self._audit, actor, ResourceType.CONTACT, self._list(actor), lambda _: ())

    @rerun_on_concurrent_change
    async def _list(self, actor: Actor) -> list[ContactView]:
        require_admin(actor)
        return await self._reads.contacts.list()


class GetContact:
    """Admins only: one contact request; an unknown id is 404. Audited, refusals included."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor, contact_id: int) -> ContactView:
        try:
            contact = await self._get(actor, contact_id)
        except DomainError as error:
            await auditing.refused(self._audit, actor, AuditAction.READ, ResourceType.CONTACT, error,
                                   resource_id=contact_id)
            raise
        await auditing.read(self._audit, actor, ResourceType.CONTACT, contact.id, None)
        return contact

    @rerun_on_concurrent_change
    async def _get(self, actor: Actor, contact_id: int) -> ContactView:
        require_admin(actor)
        contact = await self._reads.contacts.get(contact_id)
        if contact is None:
            raise NotFoundError()
        return contact


class UpdateContact(ContactUseCase):
    """``partial`` is PATCH; a full update (PUT) must send all three fields."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, contact_id: int, changes: ContactChanges, *,
                       partial: bool = False) -> ContactView:
        async with attempt(self._audit, actor, AuditAction.UPDATE, ResourceType.CONTACT, resource_id=contact_id):
            require_admin(actor)
            async with self._uow() as uow:
                contact = await self._get(uow, contact_id)
                if not partial:
                    require_fields(name=changes.name, phone=changes.phone, massage=changes.massage)
                contact.update(name=changes.name, phone=changes.phone, massage=changes.massage)
                await uow.contacts.save(contact)
                await uow.audit.append(entry(actor, AuditAction.UPDATE, ResourceType.CONTACT, resource_id=contact_id))
                await uow.commit()
        return ContactView.of(contact)


class DeleteContact(ContactUseCase):
    """Admins only: delete a contact request."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, contact_id: int) -> None:
        async with attempt(self._audit, actor, AuditAction.DELETE, ResourceType.CONTACT, resource_id=contact_id):
            require_admin(actor)
            async with self._uow() as uow:
                await uow.contacts.delete(await self._get(uow, contact_id))
                await uow.audit.append(entry(actor, AuditAction.DELETE, ResourceType.CONTACT, resource_id=contact_id))
                await uow.commit()
