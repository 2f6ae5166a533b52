"""Available times: anyone reads them, admins write them."""

from __future__ import annotations

from hospital.application.access import require_admin
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.required_fields import require_fields
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.errors import NotFoundError
from hospital.domain.schedules import AvailableTime


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


class ListAvailableTimes(AvailableTimeUseCase):
    """Every available time (anyone), or only the one ``time_id`` names."""

    async def __call__(self, actor: Actor, *, time_id: int | None = None) -> list[AvailableTime]:
        async with self._uow() as uow:
            return await uow.available_times.list(time_id=time_id)


class GetAvailableTime(AvailableTimeUseCase):
    """One available time (anyone); an unknown id is 404."""

    async def __call__(self, actor: Actor, time_id: int) -> AvailableTime:
        async with self._uow() as uow:
            return await self._get(uow, time_id)


class CreateAvailableTime(AvailableTimeUseCase):
    """Admins only: a new time slot text that doctors can then offer, with its window (sent, or read
    from the label)."""

    async def __call__(self, actor: Actor, *, time: str | None, start: str | None = None,
                       end: str | None = None) -> AvailableTime:
        require_admin(actor)
        require_fields(time=time)
        assert time is not None
        available = AvailableTime.create(time=time, start=start, end=end)
        async with self._uow() as uow:
            await uow.available_times.add(available)
            await uow.commit()
        return available


class UpdateAvailableTime(AvailableTimeUseCase):
    """Admins only: change a time's text; ``partial`` is PATCH."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, time_id: int, *, time: str | None, start: str | None = None,
                       end: str | None = None, partial: bool = False) -> AvailableTime:
        require_admin(actor)
        async with self._uow() as uow:
            available = await self._get(uow, time_id)
            if not partial:
                require_fields(time=time)
            available.update(time=time, start=start, end=end)
            await uow.available_times.save(available)
            await uow.commit()
        return available


class DeleteAvailableTime(AvailableTimeUseCase):
    """Doctors offering it lose it from their list, as the original's many-to-many did."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, time_id: int) -> None:
        require_admin(actor)
        async with self._uow() as uow:
            available = await self._get(uow, time_id)
            await uow.available_times.delete(available)
            await uow.commit()
