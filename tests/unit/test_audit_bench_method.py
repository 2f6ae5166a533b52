"""bench/interleaving.py's method, used by bench/audit.py and bench/scheduling.py: the two sides of a
figure in A B B A slices (B A A B the next round), each round's slices pooled per side, the median
round kept."""

from __future__ import annotations

import pytest
from bench import audit, interleaving, scheduling
from bench.run import Load


def load(requests: int, seconds: float, errors: int = 0) -> Load:
    return Load(rps=requests / seconds, p50_ms=1.0, p99_ms=2.0, errors=errors, requests=requests)


def test_rounds_alternate_abba_and_baab_and_pool_each_sides_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interleaving.time, "sleep", lambda seconds: None)
    order: list[str] = []

    def side(name: str, requests: int) -> object:
        def run() -> Load:
            order.append(name)
            return load(requests, 2.0)
        return run

    rounds = interleaving.interleaved({"batched": side("batched", 900), "off": side("off", 1000)}, 2,
                                      slice_seconds=2, pause=0.3)
    assert order == ["batched", "off", "off", "batched", "off", "batched", "batched", "off"]
    assert [(r["batched"].requests, r["off"].requests) for r in rounds] == [(1800, 2000), (1800, 2000)]
    assert rounds[0]["batched"].rps == pytest.approx(450.0) and rounds[0]["off"].rps == pytest.approx(500.0)


def test_a_side_counts_the_seconds_wrk_really_ran() -> None:
    pooled = interleaving.Side()
    pooled.add(load(1000, 2.5), 2)
    pooled.add(load(500, 2.0), 2)
    assert pooled.rps == pytest.approx(1500 / 4.5)


def _round(batched: int, off: int, errors: int = 0) -> dict[str, interleaving.Side]:
    sides = {"batched": interleaving.Side(), "off": interleaving.Side()}
    sides["batched"].add(load(batched, 1.0, errors), 1)
    sides["off"].add(load(off, 1.0), 1)
    return sides


def test_the_figure_is_the_median_round_with_the_others_noted() -> None:
    figure = audit._figure("A2", [_round(50, 100), _round(90, 100), _round(120, 100)], ("batched", "off"),
                           0.85, ("batched", "off"))
    assert figure.ratio == pytest.approx(0.9) and figure.met
    assert figure.measured == "90 req/s batched" and figure.baseline == "100 req/s off"
    assert figure.note == "median of rounds 0.50, 0.90, 1.20"


def test_failed_requests_fail_the_figure_whatever_its_ratio() -> None:
    figure = audit._figure("A1", [_round(100, 100, errors=3)], ("batched", "off"), 0.85, ("batched", "off"))
    assert figure.ratio == pytest.approx(1.0) and not figure.met and figure.note == "3 failed requests"


def test_scheduling_s_booking_slices_stay_inside_the_schedule_s_horizon() -> None:
    """Each slice of S2 books from days of its own (a slice meeting another's bookings would get 409s);
    all of them must fit in the 730-day horizon, less the up to 14 days before the first Monday."""
    slices = 2 * scheduling.ROUNDS + 1  # the warm-up's and two per round
    assert scheduling.FIRST_BOOKING_DAY + slices * scheduling.DAYS_A_SLICE <= 730 - 14
    assert scheduling.DAYS_A_SLICE * scheduling.SLOTS_A_DAY >= 2_500  # bookings a 1 s slice may make
