"""The one retry policy of the write side: a command that lost a race runs again from its load.

Every change to a stored record checks the version it was loaded at (the repositories' ports say
so); a unit of work whose record moved meanwhile fails with ``ConcurrentChangeError`` and changes
nothing. Run again from the load, the command judges the current record as if its request had come
just after the winner's: a cancelled appointment refuses to start, a deleted record is not found
(404), a change to other fields lands beside the winner's. Only after ``ATTEMPTS`` lost races in a
row does the caller see the error (409).

Decorate the method that runs exactly one unit of work: it must load everything it decides on
inside that unit and touch nothing outside the database (files, messages) before its commit, so
that running it again is safe.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from hospital.application.errors import ConcurrentChangeError

ATTEMPTS = 3

P = ParamSpec("P")
T = TypeVar("T")


def rerun_on_concurrent_change(unit: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """``unit`` run up to ``ATTEMPTS`` times while it loses races; the last loss is raised."""

    @functools.wraps(unit)
    async def rerun(*args: P.args, **kwargs: P.kwargs) -> T:
        for _ in range(ATTEMPTS - 1):
            try:
                return await unit(*args, **kwargs)
            except ConcurrentChangeError:
                continue
        return await unit(*args, **kwargs)

    return rerun
