"""Available times: anyone reads them, admins write them."""

from __future__ import annotations

from dataclasses import dataclass

from hospital.application.access import require_admin
from hospital.application.ports.catalogue import AvailableTimeView
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.required_fields import require_fields
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.errors import NotFoundError
from hospital.domain.schedules import AvailableTime


@dataclass(frozen=True, slots=True)
class AvailableTimeChanges:
    """What an admin sends to create or change an available time: its label (``time``, e.g.
    "Monday 9:00-10:00") and its window's hours (``start``, ``end``: "HH:MM"; when not sent, read
    from the label). None means "not sent"."""

    time: str | None = None
    start: str | None = None
    end: str | None = None


class AvailableTimeUseCase:
    """The available-time use cases' shared wiring."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    @staticmethod
    async def _get(uow: UnitOfWork, time_id: int) -> AvailableTime:
        time = await uow.available_times.get(time_id)
        if time is None:
            raise NotFoundError()
        return time


class ListAvailableTimes:
    """Every available time (anyone), or only the one ``id`` names (the list's ``?id=`` filter)."""

    def __init__(self, reads: ReadSide) -> None:
        self._reads = reads

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, *, id: int | None = None) -> list[AvailableTimeView]:
        return await self._reads.available_times.list(time_id=id)


class GetAvailableTime:
    """One available time (anyone); an unknown id is 404."""

    def __init__(self, reads: ReadSide) -> None:
        self._reads = reads

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, time_id: int) -> AvailableTimeView:
        time = await self._reads.available_times.get(time_id)
        if time is None:
            raise NotFoundError()
        return time


class CreateAvailableTime(AvailableTimeUseCase):
    """Admins only: a new time slot text that doctors can then offer, with its window (sent, or read
    from the label)."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, changes: AvailableTimeChanges) -> AvailableTimeView:
        require_admin(actor)
        require_fields(time=changes.time)
        assert changes.time is not None
        available = AvailableTime.create(time=changes.time, start=changes.start, end=changes.end)
        async with self._uow() as uow:
            await uow.available_times.add(available)
            await uow.commit()
        return AvailableTimeView.of(available)


class UpdateAvailableTime(AvailableTimeUseCase):
    """Admins only: change a time's text; ``partial`` is PATCH."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, time_id: int, changes: AvailableTimeChanges, *,
                       partial: bool = False) -> AvailableTimeView:
        require_admin(actor)
        async with self._uow() as uow:
            available = await self._get(uow, time_id)
            if not partial:
                require_fields(time=changes.time)
            available.update(time=changes.time, start=changes.start, end=changes.end)
            await uow.available_times.save(available)
            await uow.commit()
        return AvailableTimeView.of(available)


class DeleteAvailableTime(AvailableTimeUseCase):
    """Doctors offering it lose it from their list, as the original's many-to-many did."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, time_id: int) -> None:
        require_admin(actor)
        async with self._uow() as uow:
            available = await self._get(uow, time_id)
            await uow.available_times.delete(available)
            await uow.commit()
