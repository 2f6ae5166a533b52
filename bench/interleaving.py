"""Two servers measured in interleaved wrk slices, so that the machine's drift weighs on both alike.

On a shared machine the load moves by the second: two 5 s runs one after the other can differ by a
fifth for reasons neither server has. So both servers run **at the same time** and are measured in
slices, in the order A B B A (the next round B A A B), each slice followed by a short pause; each
round's ratio pools its slices (requests over seconds, per side), and the figure is the round with
the median ratio, the other rounds' ratios noted. Used by bench/audit.py (A1-A3) and
bench/scheduling.py (S1, S2).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.run import Load


@dataclass
class Side:
    """One server's slices of one load: requests and seconds pooled."""

    requests: int = 0
    seconds: float = 0.0
    errors: int = 0

    def add(self, load: Load, seconds: float) -> None:
        self.requests += load.requests
        self.seconds += load.requests / load.rps if load.rps else seconds  # as long as wrk really ran
        self.errors += load.errors

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def interleaved(loads: dict[str, Callable[[], Load]], rounds: int, *, slice_seconds: float,
                pause: float) -> list[dict[str, Side]]:
    """Each round: the sides' slices in the order A B B A (B A A B in the next), each slice followed
    by ``pause``; per round, each side's slices pooled."""
    names = list(loads)
    measured: list[dict[str, Side]] = []
    for number in range(rounds):
        first, second = names if number % 2 == 0 else names[::-1]
        sides = {name: Side() for name in names}
        for name in (first, second, second, first):
            sides[name].add(loads[name](), slice_seconds)
            time.sleep(pause)
        measured.append(sides)
    return measured


def median_round(rounds: list[dict[str, Side]], measured: str,
                 baseline: str) -> tuple[float, dict[str, Side], list[float]]:
    """The median round's ratio (``measured`` over ``baseline``), that round, and every round's ratio, sorted."""
    ratios = sorted(((r[measured].rps / r[baseline].rps, r) for r in rounds), key=lambda pair: pair[0])
    ratio, middle = ratios[len(ratios) // 2]
    return ratio, middle, [value for value, _ in ratios]
