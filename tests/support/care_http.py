"""The permission cast over HTTP: users registered through the API, doctors added beside it.

The app under AsyncTestClient runs its own event loop in another thread, and asyncpg connections
belong to one loop, so the writes made beside the API go through a container of their own (its
own engine) on the same database, opened and closed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.testing import AsyncTestClient

from hospital.bootstrap import Container, build_container, shutdown
from hospital.settings import Settings
from tests.support.actors import actor_of
from tests.support.clinic import add_available_times, add_doctor
from tests.support.http import bearer, login_over_http, register_over_http

ROLES = ["anonymous", "owner", "other_patient", "doctor", "other_doctor", "admin"]


@dataclass(frozen=True)
class Party:
    name: str
    token: str | None = None
    user_id: int | None = None
    username: str = ""
    patient_id: int | None = None
    doctor_id: int | None = None
    times: list[int] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token) if self.token else {}


async def _party(client: AsyncTestClient, container: Container, name: str, *, doctor: bool = False,
                 staff: bool = False) -> Party:
    registered = await register_over_http(client)
    user = registered["user"]
    token = registered["tokens"]["access"]
    times: list[int] = []
    if doctor:
        times = await add_available_times(container, 3)
        await add_doctor(container, user["id"], times)
    if staff:
        async with container.unit_of_work() as uow:
            stored = await uow.users.get(user["id"])
            stored.is_staff = True
            await uow.users.save(stored)
            await uow.commit()
        token = (await login_over_http(client, user["username"]))["access"]
    actor = await actor_of(container, user["id"])
    return Party(name=name, token=token, user_id=user["id"], username=user["username"],
                 patient_id=actor.patient_id, doctor_id=actor.doctor_id, times=times)


async def http_cast(client: AsyncTestClient, settings: Settings) -> dict[str, Party]:
    """Everyone the permission rules tell apart, on the app's database (``settings``)."""
    container = build_container(settings)
    try:
        return {
            "anonymous": Party("anonymous"),
            "owner": await _party(client, container, "owner"),
            "other_patient": await _party(client, container, "other_patient"),
            "doctor": await _party(client, container, "doctor", doctor=True),
            "other_doctor": await _party(client, container, "other_doctor", doctor=True),
            "admin": await _party(client, container, "admin", staff=True),
        }
    finally:
        await shutdown(container)


async def book_over_http(client: AsyncTestClient, patient: Party, doctor: Party, time_index: int = 0,
                         **fields) -> dict:
    body = {"doctor": doctor.doctor_id, "time": doctor.times[time_index], "appointment_type": "Online",
            "symptoms": "cough", **fields}
    response = await client.post("/appointments/", json=body, headers=patient.headers)
    assert response.status_code == 201, response.text
    return response.json()
