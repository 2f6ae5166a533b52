"""Audit events' hash chains: an untouched chain verifies; a changed, removed or reordered event is named."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.actors import ANONYMOUS, Actor
from hospital.domain.audit import (
    GENESIS,
    ActorRole,
    AuditAction,
    AuditEntry,
    AuditEvent,
    AuditOutcome,
    ChainProblem,
    RequestContext,
    ResourceType,
    canonical_content,
    content_hash,
    format_time,
    verify_chain,
    verify_events,
)

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

entries = st.builds(
    AuditEntry,
    action=st.sampled_from(AuditAction),
    resource_type=st.sampled_from(ResourceType),
    outcome=st.sampled_from(AuditOutcome),
    resource_id=st.none() | st.integers(1, 2**31 - 1),
    patient_ids=st.lists(st.integers(1, 10_000), max_size=5, unique=True).map(lambda ids: tuple(sorted(ids))),
    actor_user_id=st.none() | st.integers(1, 2**31 - 1),
    actor_role=st.sampled_from(ActorRole),
    username=st.none() | st.text(max_size=20),
    filters=st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=8)), max_size=3).map(tuple),
    context=st.builds(RequestContext, client_address=st.none() | st.ip_addresses().map(str),
                      request_id=st.none() | st.text(max_size=30), user_agent=st.none() | st.text(max_size=40)),
)


def chain_of(items: list[AuditEntry], name: str = "host-1-abc.1") -> list[AuditEvent]:
    events, previous = [], GENESIS
    for index, entry in enumerate(items):
        event = AuditEvent.seal(entry, event_id=f"{name}-{index}", recorded_at=START + timedelta(seconds=index),
                                chain=name, seq=index + 1, prev_hash=previous)
        events.append(event)
        previous = event.hash
    return events


chains = st.lists(entries, min_size=1, max_size=12).map(chain_of)


@given(chains)
def test_an_untouched_chain_verifies(events: list[AuditEvent]) -> None:
    assert verify_chain(events) is None
    report = verify_events(events)
    assert report.valid and report.events == len(events)
    assert report.heads[0].seq == len(events) and report.heads[0].hash == events[-1].hash


changes = st.sampled_from([
    lambda e: dataclasses.replace(e, recorded_at=e.recorded_at + timedelta(microseconds=1)),
    lambda e: dataclasses.replace(e, entry=dataclasses.replace(e.entry, outcome=(
        AuditOutcome.DENIED if e.entry.outcome is AuditOutcome.SUCCESS else AuditOutcome.SUCCESS))),
    lambda e: dataclasses.replace(e, entry=dataclasses.replace(e.entry, patient_ids=(*e.entry.patient_ids, 99_999))),
    lambda e: dataclasses.replace(e, entry=dataclasses.replace(e.entry, actor_user_id=-1)),
    lambda e: dataclasses.replace(e, entry=dataclasses.replace(e.entry, context=RequestContext("10.9.9.9"))),
    lambda e: dataclasses.replace(e, hash="f" * 64),
    lambda e: dataclasses.replace(e, prev_hash="e" * 64),
    lambda e: dataclasses.replace(e, id=e.id + "x"),
])


@given(chains, st.data(), changes)
def test_a_changed_event_is_named(events: list[AuditEvent], data: st.DataObject, change) -> None:
    index = data.draw(st.integers(0, len(events) - 1))
    tampered = [*events[:index], change(events[index]), *events[index + 1:]]
    found = verify_chain(tampered)
    assert found is not None and found.seq == index + 1 and found.problem is ChainProblem.CHANGED


@given(st.lists(entries, min_size=2, max_size=12).map(chain_of), st.data())
def test_a_removed_event_names_the_one_after_it(events: list[AuditEvent], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(events) - 2))
    found = verify_chain([*events[:index], *events[index + 1:]])
    assert found is not None and found.problem is ChainProblem.REMOVED
    assert found.event_id == events[index + 1].id


@given(st.lists(entries, min_size=2, max_size=12).map(chain_of), st.data())
def test_reordered_events_are_named(events: list[AuditEvent], data: st.DataObject) -> None:
    """Two rows swap places (their numbers swapped, so the numbering has no gap): the first place whose
    event does not link to the one before it is named."""
    i = data.draw(st.integers(0, len(events) - 2))
    j = data.draw(st.integers(i + 1, len(events) - 1))
    swapped = list(events)
    swapped[i] = dataclasses.replace(events[j], seq=events[i].seq)
    swapped[j] = dataclasses.replace(events[i], seq=events[j].seq)
    found = verify_chain(swapped)
    assert found is not None and found.problem is ChainProblem.OUT_OF_ORDER
    assert found.seq == i + 1 and found.event_id == events[j].id


@given(st.lists(entries, min_size=1, max_size=6), st.lists(entries, min_size=1, max_size=6), st.randoms())
def test_chains_verify_independently_when_interleaved(first, second, random) -> None:
    a, b = chain_of(first, "a.1"), chain_of(second, "b.1")
    merged, queues = [], [list(a), list(b)]
    while any(queues):
        queue = random.choice([q for q in queues if q])
        merged.append(queue.pop(0))
    assert verify_events(merged).valid
    broken = [dataclasses.replace(e, hash="0" * 64) if e is b[-1] else e for e in merged]
    report = verify_events(broken)
    assert [(x.chain, x.seq) for x in report.breaks] == [("b.1", len(b))]


def test_a_chain_missing_its_start_is_named() -> None:
    events = chain_of([AuditEntry(AuditAction.READ, ResourceType.PATIENT)] * 3)
    found = verify_chain(events[1:])
    assert found is not None and found.problem is ChainProblem.REMOVED and found.seq == 2
    assert "event 2" in found.describe() and "removed" in found.describe()


def test_the_newest_events_removed_go_unseen_by_the_chain_but_move_its_head() -> None:
    """What a chain alone cannot show (docs/audit.md): its tail cut off. Its head then differs."""
    events = chain_of([AuditEntry(AuditAction.READ, ResourceType.PATIENT)] * 3)
    assert verify_events(events[:2]).valid
    assert verify_events(events[:2]).heads != verify_events(events).heads


def test_canonical_content_leaves_out_the_number_and_the_hash_and_is_ascii_json() -> None:
    entry = AuditEntry.by(Actor(user_id=3, patient_id=7), AuditAction.READ, ResourceType.PATIENT, resource_id=7,
                          patient_ids=[7], context=RequestContext("127.0.0.1", "rid", "agent é"))
    event = AuditEvent.seal(entry, event_id="e1", recorded_at=START, chain="c.1", seq=5, prev_hash=GENESIS)
    content = canonical_content(event)
    assert content.isascii() and b'"seq"' not in content and event.hash.encode() not in content
    assert content_hash(dataclasses.replace(event, seq=6)) == event.hash
    assert b'"recorded_at":"2026-03-01T08:00:00.000000Z"' in content
    assert b'"actor_role":"patient"' in content and b"agent \\u00e9" in content


def test_times_are_sealed_in_utc_and_naive_ones_are_refused() -> None:
    entry = AuditEntry(AuditAction.READ, ResourceType.PATIENT)
    plus_two = START.astimezone(__import__("datetime").timezone(timedelta(hours=2)))
    event = AuditEvent.seal(entry, event_id="e", recorded_at=plus_two, chain="c", seq=1, prev_hash=GENESIS)
    assert event.recorded_at.tzinfo is UTC and format_time(event.recorded_at) == "2026-03-01T08:00:00.000000Z"
    with pytest.raises(ValueError, match="aware"):
        AuditEvent.seal(entry, event_id="e", recorded_at=START.replace(tzinfo=None), chain="c", seq=1,
                        prev_hash=GENESIS)


@pytest.mark.parametrize(("actor", "role"), [
    (ANONYMOUS, ActorRole.ANONYMOUS),
    (Actor(user_id=1), ActorRole.USER),
    (Actor(user_id=1, patient_id=2), ActorRole.PATIENT),
    (Actor(user_id=1, patient_id=2, doctor_id=3), ActorRole.DOCTOR),
    (Actor(user_id=1, is_staff=True, patient_id=2, doctor_id=3), ActorRole.ADMIN),
    (Actor(is_staff=True), ActorRole.ANONYMOUS),
])
def test_the_role_that_gave_access(actor: Actor, role: ActorRole) -> None:
    assert ActorRole.of(actor) is role


def test_an_entry_names_each_patient_once_in_order_and_keeps_only_filters_given() -> None:
    entry = AuditEntry.by(ANONYMOUS, AuditAction.SEARCH, ResourceType.APPOINTMENT, patient_ids=[5, 2, None, 5],
                          filters={"doctor": 3, "patient": None, "search": ""})
    assert entry.patient_ids == (2, 5) and entry.patient_id is None
    assert entry.filters == (("doctor", "3"),)
    assert AuditEntry.by(ANONYMOUS, AuditAction.READ, ResourceType.PATIENT, patient_ids=[4]).patient_id == 4


def test_actions_map_to_fhir_codes() -> None:
    assert AuditAction.CREATE.fhir_code == "C" and AuditAction.SEARCH.fhir_code == "R"
    assert AuditAction.CANCEL.fhir_code == "U" and AuditAction.DELETE.fhir_code == "D"
    assert AuditAction.LOGIN.fhir_code == "E" and not AuditAction.LOGIN.changes_data
    assert AuditAction.STATUS_CHANGE.changes_data


@given(entry=entries)
def test_an_entry_made_by_by_is_the_dataclass_it_would_construct_and_stays_frozen(entry: AuditEntry) -> None:
    """``AuditEntry.by`` sets the slots itself (domain/audit.py, ``_new_entry``): the same value as the
    dataclass's constructor, and as frozen."""
    actor = Actor(user_id=entry.actor_user_id, is_staff=entry.actor_role is ActorRole.ADMIN,
                  patient_id=7 if entry.actor_role is ActorRole.PATIENT else None,
                  doctor_id=8 if entry.actor_role is ActorRole.DOCTOR else None)
    made = AuditEntry.by(actor, entry.action, entry.resource_type, outcome=entry.outcome,
                         resource_id=entry.resource_id, patient_ids=entry.patient_ids, username=entry.username,
                         filters=dict(entry.filters), context=entry.context)
    expected = dataclasses.replace(entry, actor_role=ActorRole.of(actor),
                                   filters=tuple(sorted((n, v) for n, v in dict(entry.filters).items() if v != "")))
    assert made == expected and hash(made) == hash(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.resource_id = 1  # type: ignore[misc]


@pytest.mark.parametrize(("given_ids", "kept"), [
    ((None,), ()), ((4,), (4,)), ((2**63,), ()), ((-(2**63) - 1,), ()), ([4], (4,)),
])
def test_one_patient_is_kept_as_a_set_of_them_would_keep_it(given_ids, kept) -> None:
    """A read's one patient takes a shorter way than a list's patients: the same answer."""
    entry = AuditEntry.by(ANONYMOUS, AuditAction.READ, ResourceType.PATIENT, patient_ids=given_ids)
    assert entry.patient_ids == kept and type(entry.patient_ids) is tuple


@given(items=st.lists(entries, min_size=1, max_size=6))
def test_a_run_sealed_at_once_is_each_event_sealed_in_turn(items: list[AuditEntry]) -> None:
    """``seal_run`` sets its events' slots itself: the events ``seal`` makes, one after the other."""
    run = AuditEvent.seal_run(items, event_ids=[f"e{n}" for n in range(len(items))], recorded_at=START, chain="c",
                              seq=1, prev_hash=GENESIS)
    assert run == chain_of_named(items)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run[0].hash = GENESIS  # type: ignore[misc]


def chain_of_named(items: list[AuditEntry]) -> list[AuditEvent]:
    events, previous = [], GENESIS
    for index, entry in enumerate(items):
        event = AuditEvent.seal(entry, event_id=f"e{index}", recorded_at=START, chain="c", seq=index + 1,
                                prev_hash=previous)
        events.append(event)
        previous = event.hash
    return events


def test_a_value_of_no_member_is_hashed_as_its_member_would_be() -> None:
    """Entries read back from a store may carry plain strings: their text is the member's."""
    member = AuditEntry(AuditAction.READ, ResourceType.PATIENT, actor_role=ActorRole.PATIENT)
    plain = AuditEntry("read", "patient", "success", actor_role="patient")  # type: ignore[arg-type]
    other = AuditEntry("no such action", "patient")  # type: ignore[arg-type]
    seal = {"event_id": "e", "recorded_at": START, "chain": "c", "seq": 1, "prev_hash": GENESIS}
    assert AuditEvent.seal(plain, **seal).hash == AuditEvent.seal(member, **seal).hash
    assert b'"action":"no such action"' in canonical_content(AuditEvent.seal(other, **seal))
