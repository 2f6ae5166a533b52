"""The canonical content an audit event's hash covers: byte for byte what ``json.dumps`` of its fields
writes (sorted keys, no spaces, ASCII only), whatever the text in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.audit import (
    GENESIS,
    ActorRole,
    AuditAction,
    AuditEntry,
    AuditEvent,
    OpenAuditEvent,
    RequestContext,
    ResourceType,
    canonical_content,
    format_time,
)

# Any text: control characters, DEL, quotes, backslashes, accents, astral characters (surrogate pairs).
texts = st.text(st.characters(codec="utf-8"), max_size=30)
ids = st.integers(-(2**63), 2**63 - 1)
entries = st.builds(
    AuditEntry,
    action=st.sampled_from(AuditAction),
    resource_type=st.sampled_from(ResourceType),
    resource_id=st.none() | ids,
    patient_ids=st.lists(ids, max_size=12, unique=True).map(lambda found: tuple(sorted(found))),
    actor_user_id=st.none() | ids,
    actor_role=st.sampled_from(ActorRole),
    username=st.none() | texts,
    filters=st.lists(st.tuples(texts, texts), max_size=3).map(tuple),
    context=st.builds(RequestContext, client_address=st.none() | texts, request_id=st.none() | texts,
                      user_agent=st.none() | texts),
)


def as_json_dumps_writes_it(event: AuditEvent) -> bytes:
    entry, context = event.entry, event.entry.context
    content = {
        "id": event.id, "recorded_at": format_time(event.recorded_at), "chain": event.chain,
        "prev_hash": event.prev_hash, "action": str(entry.action), "resource_type": str(entry.resource_type),
        "resource_id": entry.resource_id, "outcome": str(entry.outcome), "patient_ids": list(entry.patient_ids),
        "actor_user_id": entry.actor_user_id, "actor_role": str(entry.actor_role), "username": entry.username,
        "filters": [list(pair) for pair in entry.filters], "client_address": context.client_address,
        "request_id": context.request_id, "user_agent": context.user_agent,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


@given(entry=entries, event_id=texts, chain=texts, prev_hash=st.just(GENESIS) | texts,
       recorded_at=st.datetimes(timezones=st.just(UTC)))
def test_the_content_is_what_json_dumps_writes(entry: AuditEntry, event_id: str, chain: str, prev_hash: str,
                                               recorded_at: datetime) -> None:
    event = AuditEvent.seal(entry, event_id=event_id, recorded_at=recorded_at, chain=chain, seq=1,
                            prev_hash=prev_hash)
    assert canonical_content(event) == as_json_dumps_writes_it(event)


def test_an_event_sealed_before_keeps_its_hash() -> None:
    """The log's format: an event's hash as the first release sealed it (a stored log must verify)."""
    entry = AuditEntry(action=AuditAction.SEARCH, resource_type=ResourceType.APPOINTMENT, patient_ids=(3, 9, 2**63 - 1),
                       actor_user_id=12, actor_role=ActorRole.DOCTOR, username='d\u00e9 "x"\x7f\n',
                       filters=(("doctor", "2"), ("search", "a\\b")), context=RequestContext("::1", "rid-1", None))
    event = AuditEvent.seal(entry, event_id="0193a5f0c2e8" + "ab" * 10,
                            recorded_at=datetime(2026, 12, 3, 17, 0, 0, 123456, tzinfo=UTC), chain="h-1-abc.1", seq=4,
                            prev_hash="f" * 64)
    assert event.hash == "de98aa552bf13e59c1c4118b92a92821cf44443910a943beeb5ca14d8317272c"


# Away from the calendar's ends, where moving to UTC would leave it.
@given(st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31), timezones=st.timezones()))
def test_an_events_time_text_is_its_utc_time_to_the_microsecond(moment: datetime) -> None:
    assert format_time(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(entries=st.lists(entries, min_size=1, max_size=5), chain=texts, seq=st.integers(1, 10**6),
       recorded_at=st.datetimes(timezones=st.just(UTC)))
def test_a_run_is_sealed_as_each_of_its_events_alone(entries: list[AuditEntry], chain: str, seq: int,
                                                     recorded_at: datetime) -> None:
    """``seal_run`` writes the chain's and the time's text once for the run: each event must still be
    what ``seal`` makes of it alone, numbered in turn and linked to the one before."""
    ids = [f"{n:032x}" for n in range(len(entries))]
    run = AuditEvent.seal_run(entries, event_ids=ids, recorded_at=recorded_at, chain=chain, seq=seq,
                              prev_hash=GENESIS)
    previous = GENESIS
    for number, (entry, event_id, event) in enumerate(zip(entries, ids, run, strict=True)):
        assert event == AuditEvent.seal(entry, event_id=event_id, recorded_at=recorded_at, chain=chain,
                                        seq=seq + number, prev_hash=previous)
        assert canonical_content(event) == as_json_dumps_writes_it(event)
        previous = event.hash


@pytest.mark.parametrize("resource_id", [0, 7, 10, 2**63 - 1, -5])
def test_an_open_events_content_is_its_sealed_content_around_the_id(resource_id):
    entry = AuditEntry(action=AuditAction.CREATE, resource_type=ResourceType.APPOINTMENT, patient_ids=(2,),
                       username='"resource_id":null,', context=RequestContext(user_agent='"resource_id":null, \u00e9'))
    opened = OpenAuditEvent.open(entry, event_id="e1", recorded_at=datetime(2027, 1, 1, tzinfo=UTC),
                                 chain="c.1", seq=1, prev_hash=GENESIS)
    sealed = opened.sealed(resource_id)
    assert opened.prefix + str(resource_id).encode() + opened.suffix == canonical_content(sealed)
    assert sealed.entry.resource_id == resource_id
