"""/audit-events/ (administrators) and /patients/{id}/access-log/ (the patient and administrators)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter

from hospital.application.audit_trail import AccessLogEntry
from hospital.application.ports.audit import AuditFilter
from hospital.domain.audit import AuditAction, AuditEvent, AuditOutcome
from hospital.domain.errors import ErrorCollector
from hospital.entrypoints.http import fhir_audit, openapi
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.id_filters import parse_id_filter
from hospital.entrypoints.http.pagination import Paginated, page_request, paginated
from hospital.entrypoints.http.params import ID_FILTER_PATTERN, LimitsParam, PageParam
from hospital.entrypoints.http.schemas.audit import ACTIONS, OUTCOMES, AccessLogEntryOut, AuditEventOut

TAGS = ["Audit"]
PATH = "/audit-events/"
ACCESS_LOG = "/patients/{patient_id:int}/access-log/"
INVALID_TIME = "Enter a date and time in ISO 8601 (e.g. 2026-03-01T08:00:00Z)."


def _id_param(name: str, description: str) -> Any:
    return Annotated[str | None, QueryParameter(name=name, description=description, required=False,
                                                  schema_extra={"pattern": ID_FILTER_PATTERN})]


def _choice_param(name: str, description: str, values: tuple[str, ...]) -> Any:
    return Annotated[str | None, QueryParameter(name=name, description=description, required=False,
                                                  schema_extra={"enum": list(values)})]


def _time_param(name: str, description: str) -> Any:
    return Annotated[str | None, QueryParameter(name=name, description=description, required=False,
                                                  max_length=64, schema_extra={"format": "date-time"})]


PatientIdParam = _id_param("patient_id", "Events concerning this patient")
UserIdParam = _id_param("user_id", "Events of this user's calls")
ActionParam = _choice_param("action", "Events of this action", ACTIONS)
OutcomeParam = _choice_param("outcome", "Events with this outcome", OUTCOMES)
FromParam = _time_param("from", "Events recorded at or after this time (ISO 8601; UTC unless it says)")
ToParam = _time_param("to", "Events recorded before this time (ISO 8601; UTC unless it says)")


# RFC 3339 date-times (what the schema's "date-time" format promises), in the spellings Python's
# fromisoformat refuses: a lower-case t or z, more than six decimals, a leap second.
_RFC3339 = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
                      r"(?:\.(?P<fraction>\d+))?(?P<zone>[Zz]|[+-]\d{2}:\d{2})?")


def _iso(text: str) -> datetime:
    match = _RFC3339.fullmatch(text)
    if match is None:
        return datetime.fromisoformat(text)
    second = min(int(match["second"]), 59)  # a leap second: the last second before it
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    zone = match["zone"] or ""
    zone = "+00:00" if zone in {"Z", "z"} else zone
    return datetime.fromisoformat(f"{match['date']}T{match['hour']}:{match['minute']}:{second:02d}.{fraction}{zone}")


def _time(errors: ErrorCollector, name: str, raw: str | None) -> datetime | None:
    """None when absent; given, it must be a date and time (an empty value is no date-time)."""
    if raw is None:
        return None
    try:
        moment = _iso(raw.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        errors.add(name, INVALID_TIME)
        return None


def _choice(errors: ErrorCollector, name: str, raw: str | None, kind: type[Any]) -> Any:
    if raw is None or not raw.strip():
        return None
    try:
        return kind(raw.strip())
    except ValueError:
        errors.add(name, f'"{raw}" is not a valid choice.')
        return None


def _filter(patient_id: str | None, user_id: str | None, action: str | None, outcome: str | None,
            since: str | None, until: str | None) -> AuditFilter:
    errors = ErrorCollector()
    where = AuditFilter(
        patient_id=errors.collect(lambda: parse_id_filter("patient_id", patient_id)),
        user_id=errors.collect(lambda: parse_id_filter("user_id", user_id)),
        action=_choice(errors, "action", action, AuditAction),
        outcome=_choice(errors, "outcome", outcome, AuditOutcome),
        since=_time(errors, "from", since), until=_time(errors, "to", until),
    )
    errors.raise_if_any()
    return where


def render(event: AuditEvent) -> AuditEventOut:
    entry, context = event.entry, event.entry.context
    return AuditEventOut(
        id=event.id, recorded=event.recorded_at, user_id=entry.actor_user_id, role=str(entry.actor_role),
        action=str(entry.action), resource_type=str(entry.resource_type), resource_id=entry.resource_id,
        patient_id=entry.patient_id, patient_ids=list(entry.patient_ids), outcome=str(entry.outcome),
        username=entry.username, filters=dict(entry.filters), client_address=context.client_address,
        request_id=context.request_id, user_agent=context.user_agent, chain=event.chain, seq=event.seq,
        prev_hash=event.prev_hash, hash=event.hash,
    )


def _wants_fhir(request: Request) -> bool:
    return fhir_audit.MEDIA_TYPE in request.headers.get("accept", "").lower()


@get(PATH, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404),
     summary="List audit events (administrators)",
     description="Newest first. With `Accept: application/fhir+json`, a FHIR R4 `Bundle` (searchset) of "
                 "`AuditEvent` resources instead (docs/audit.md).")
async def list_audit_events(request: Request, container: Services, actor: CurrentActor, page: PageParam = None,
                            limits: LimitsParam = None, patient_id: PatientIdParam = None,
                            user_id: UserIdParam = None, action: ActionParam = None, outcome: OutcomeParam = None,
                            since: FromParam = None, until: ToParam = None) -> Response[Paginated[AuditEventOut]]:
    where = _filter(patient_id, user_id, action, outcome, since, until)
    result = await container.list_audit_events()(actor, page=page_request(request), where=where)
    body = paginated(request, result, render)
    if _wants_fhir(request):
        bundle = fhir_audit.search_bundle(result, {"next": body.next, "previous": body.previous})
        return Response(content=msgspec.json.encode(bundle), media_type=fhir_audit.MEDIA_TYPE)  # type: ignore[return-value]
    return Response(content=body)


def render_access(entry: AccessLogEntry) -> AccessLogEntryOut:
    return AccessLogEntryOut(id=entry.id, recorded=entry.recorded_at, user_id=entry.actor_user_id,
                             role=str(entry.actor_role), action=str(entry.action),
                             resource_type=str(entry.resource_type), resource_id=entry.resource_id,
                             outcome=str(entry.outcome))


@get(ACCESS_LOG, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 404),
     summary="A patient's access log: who accessed their data (the patient and administrators)")
async def get_access_log(request: Request, container: Services, actor: CurrentActor, patient_id: FromPath[int],
                         page: PageParam = None, limits: LimitsParam = None) -> Paginated[AccessLogEntryOut]:
    result = await container.get_access_log()(actor, patient_id, page=page_request(request))
    return paginated(request, result, render_access)


HANDLERS = [list_audit_events, get_access_log]
