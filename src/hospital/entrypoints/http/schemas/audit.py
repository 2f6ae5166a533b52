"""Audit events on the wire: the administrators' list, and a patient's access log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from hospital.domain.audit import ActorRole, AuditAction, AuditOutcome, ResourceType
from hospital.entrypoints.http import openapi

ACTIONS = tuple(action.value for action in AuditAction)
OUTCOMES = tuple(outcome.value for outcome in AuditOutcome)
ROLES = tuple(role.value for role in ActorRole)
RESOURCE_TYPES = tuple(kind.value for kind in ResourceType)

Action = Annotated[str, openapi.choice(*ACTIONS)]
Outcome = Annotated[str, openapi.choice(*OUTCOMES)]
Role = Annotated[str, openapi.choice(*ROLES)]
Resource = Annotated[str, openapi.choice(*RESOURCE_TYPES)]


class AuditEventOut(msgspec.Struct):
    """One audit event as stored, with its place in its hash chain (docs/audit.md)."""

    id: str
    recorded: datetime
    user_id: int | None
    role: Role
    action: Action
    resource_type: Resource
    resource_id: int | None
    patient_id: int | None  # when the event concerns exactly one patient
    patient_ids: list[int]
    outcome: Outcome
    username: str | None  # authentication events: as the caller sent it
    filters: dict[str, str]  # list calls: the filters used
    client_address: str | None
    request_id: str | None
    user_agent: str | None
    chain: str
    seq: int
    prev_hash: str
    hash: str


class AccessLogEntryOut(msgspec.Struct):
    """One access to a patient's data: who, in which role, when, what, and how it ended."""

    id: str
    recorded: datetime
    user_id: int | None
    role: Role
    action: Action
    resource_type: Resource
    resource_id: int | None
    outcome: Outcome
