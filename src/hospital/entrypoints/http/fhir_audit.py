"""Audit events as FHIR R4 ``AuditEvent`` resources in a ``searchset`` ``Bundle``
(``GET /audit-events/`` with ``Accept: application/fhir+json``).

Mapping (hl7.org/fhir/R4/auditevent.html):

- ``type``: ``rest`` (RESTful operation) for data access, DICOM 110114 (User Authentication) for
  authentication events; ``subtype``: the FHIR restful interaction where there is one, and always
  our own action code (system ``urn:hospital:audit-action``).
- ``action``: C/R/U/D/E; ``recorded``: the event's UTC time; ``outcome``: 0 (success) or 4 (minor
  failure: refused, not found, invalid), with ``outcomeDesc`` our outcome.
- ``agent``: the user (``who.identifier`` in ``urn:hospital:user``, or "anonymous"), their role as
  text, requestor, and the client address as ``network`` (type 2, IP address).
- ``source``: this service (``observer``), an application server (type 4), ``site`` the chain.
- ``entity``: each patient concerned (``Patient/{id}``, role 1 Patient), and the resource acted on,
  with the list's filters, the request id and the user agent as ``detail``.
"""

from __future__ import annotations

from typing import Any

from hospital.application.pagination import Page
from hospital.domain.audit import AuditAction, AuditEvent, AuditOutcome, format_time

MEDIA_TYPE = "application/fhir+json"
_ACTION_SYSTEM = "urn:hospital:audit-action"
_REST = {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
         "display": "RESTful Operation"}
_AUTHENTICATION = {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110114",
                   "display": "User Authentication"}
_INTERACTIONS = {AuditAction.CREATE: "create", AuditAction.READ: "read", AuditAction.SEARCH: "search-type",
                 AuditAction.UPDATE: "update", AuditAction.CANCEL: "update", AuditAction.RESCHEDULE: "update",
                 AuditAction.STATUS_CHANGE: "update", AuditAction.DELETE: "delete"}
_DICOM = {AuditAction.LOGIN: ("110122", "Login"), AuditAction.LOGOUT: ("110123", "Logout")}


def _subtypes(action: AuditAction) -> list[dict[str, str]]:
    codings = []
    if action in _INTERACTIONS:
        codings.append({"system": "http://hl7.org/fhir/restful-interaction", "code": _INTERACTIONS[action]})
    if action in _DICOM:
        code, display = _DICOM[action]
        codings.append({"system": "http://dicom.nema.org/resources/ontology/DCM", "code": code, "display": display})
    codings.append({"system": _ACTION_SYSTEM, "code": str(action)})
    return codings


def _agent(event: AuditEvent) -> dict[str, Any]:
    entry = event.entry
    who: dict[str, Any] = (
        {"identifier": {"system": "urn:hospital:user", "value": str(entry.actor_user_id)}}
        if entry.actor_user_id is not None else {"display": "anonymous"}
    )
    agent: dict[str, Any] = {"who": who, "requestor": True, "role": [{"text": str(entry.actor_role)}]}
    if entry.username is not None:
        agent["altId"] = entry.username
    if entry.context.client_address:
        agent["network"] = {"address": entry.context.client_address, "type": "2"}
    return agent


def _entities(event: AuditEvent) -> list[dict[str, Any]]:
    entry = event.entry
    entities: list[dict[str, Any]] = [
        {"what": {"reference": f"Patient/{patient_id}"},
         "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1",
                  "display": "Person"},
         "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"}}
        for patient_id in entry.patient_ids
    ]
    what: dict[str, Any] = {"type": str(entry.resource_type)}
    if entry.resource_id is not None:
        what["identifier"] = {"system": f"urn:hospital:{entry.resource_type}", "value": str(entry.resource_id)}
    details = [{"type": name, "valueString": value} for name, value in entry.filters if value]
    for name, value in (("request-id", entry.context.request_id), ("user-agent", entry.context.user_agent)):
        if value:
            details.append({"type": name, "valueString": value})
    resource: dict[str, Any] = {
        "what": what,
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2",
                 "display": "System Object"},
    }
    if details:
        resource["detail"] = details
    entities.append(resource)
    return entities


def audit_event_resource(event: AuditEvent) -> dict[str, Any]:
    entry = event.entry
    authentication = not entry.action.changes_data and entry.action not in (AuditAction.READ, AuditAction.SEARCH)
    return {
        "resourceType": "AuditEvent",
        "id": event.id,
        "type": _AUTHENTICATION if authentication else _REST,
        "subtype": _subtypes(entry.action),
        "action": entry.action.fhir_code,
        "recorded": format_time(event.recorded_at),
        "outcome": "0" if entry.outcome is AuditOutcome.SUCCESS else "4",
        "outcomeDesc": str(entry.outcome),
        "agent": [_agent(event)],
        "source": {"site": event.chain, "observer": {"display": "hospital"},
                   "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4",
                             "display": "Application Server"}]},
        "entity": _entities(event),
    }


def search_bundle(page: Page[AuditEvent], links: dict[str, str | None]) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "entry": [{"resource": audit_event_resource(event), "search": {"mode": "match"}} for event in page.items],
    }
    link = [{"relation": relation, "url": url} for relation, url in links.items() if url]
    if link:
        bundle["link"] = link
    return bundle
