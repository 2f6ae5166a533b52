"""Audit lanes: concurrent units of work, each committing, rolling back or never hearing back,
leave chains that verify (no gaps, no forks), and no two units ever hold one lane."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from hospital.adapters.audit_lanes import AuditLanes
from hospital.domain.audit import AuditAction, AuditEntry, ResourceType, verify_events

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ENTRY = AuditEntry(AuditAction.UPDATE, ResourceType.PATIENT, patient_ids=(1,))

# Each unit: how many events it appends, and how its transaction ends.
units = st.lists(st.tuples(st.integers(1, 3), st.sampled_from([True, False, None])), min_size=1, max_size=30)


@given(units, st.randoms(), st.integers(2, 50))
def test_interleaved_units_leave_valid_chains(plan, random, max_events) -> None:
    lanes = AuditLanes("test", max_events=max_events)
    stored, open_units = [], []
    pending = list(plan)
    while pending or open_units:
        if pending and (not open_units or random.random() < 0.5):
            count, outcome = pending.pop(0)
            lane = lanes.lease()
            assert all(lane is not other_lane for other_lane, _, _ in open_units)
            open_units.append((lane, [lane.seal(ENTRY, NOW) for _ in range(count)], outcome))
        else:
            lane, events, outcome = open_units.pop(random.randrange(len(open_units)))
            if outcome is not False:  # an unknown outcome may have committed
                stored.extend(events)
            lanes.release(lane, committed=outcome)
    stored.sort(key=lambda event: (event.chain, event.seq))
    assert verify_events(stored).valid


def test_a_rolled_back_unit_leaves_its_lane_where_it_was() -> None:
    lanes = AuditLanes("test")
    lane = lanes.lease()
    first = lane.seal(ENTRY, NOW)
    lanes.release(lane, committed=True)
    again = lanes.lease()
    assert again is lane
    lost = again.seal(ENTRY, NOW)
    lanes.release(again, committed=False)
    third = lanes.lease()
    kept = third.seal(ENTRY, NOW)
    assert lost.seq == kept.seq == 2 and kept.prev_hash == first.hash


def test_a_lane_whose_commit_outcome_is_unknown_is_never_written_again() -> None:
    lanes = AuditLanes("test")
    lane = lanes.lease()
    lane.seal(ENTRY, NOW)
    lanes.release(lane, committed=None)
    assert lanes.lease() is not lane and lanes.free == 0


def test_lanes_are_retired_after_their_quota_and_named_by_process() -> None:
    lanes = AuditLanes("host-1-ab", max_events=2)
    lane = lanes.lease()
    lane.seal(ENTRY, NOW)
    lane.seal(ENTRY, NOW)
    lanes.release(lane, committed=True)
    fresh = lanes.lease()
    assert fresh is not lane and fresh.name == "host-1-ab.2" and lane.name == "host-1-ab.1"
    assert fresh.seal(ENTRY, NOW).seq == 1


def test_two_processes_never_share_a_chain_name() -> None:
    assert AuditLanes().lease().name != AuditLanes().lease().name
