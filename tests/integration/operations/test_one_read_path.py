"""Every GET runs on the one read path (issue 12): the read side's prepared statements on the driver
(adapters/sqlalchemy/read_side.py, direct_reads.py), never an ORM session.

Every session is made by ``AsyncSession.__init__``, counted here while every documented GET route is
called by each kind of caller (anonymous, the owner, a doctor, an administrator), on ids that exist
and on one that does not, lists with a search too. Left out: the sessions of the audit log's writer
(adapters/audit_log.py), which stores the reads' events in a unit of work of its own in the
background: a write, not the read path.
"""

from __future__ import annotations

import re
import traceback

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.care_http import book_over_http, http_cast
from tests.support.http import login_over_http

# Documentation and files: no data behind them.
NOT_DATA = ("/schema", "/media/")
MISSING = 987_654
_PARAMETER = re.compile(r"\{(\w+):\w+\}")


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Where each ORM session made while the fixture is active was made from (but the audit log's)."""
    made: list[str] = []
    original = AsyncSession.__init__

    def counted(self: AsyncSession, *args: object, **kwargs: object) -> None:
        stack = traceback.extract_stack()
        if not any(frame.filename.endswith("adapters/audit_log.py") for frame in stack):
            made.append("".join(traceback.format_list(stack[-12:])))
        original(self, *args, **kwargs)

    monkeypatch.setattr(AsyncSession, "__init__", counted)
    return made


def _get_routes(client: AsyncTestClient) -> list[str]:
    paths = {route.path for route in client.app.routes if isinstance(route, HTTPRoute) and "GET" in route.methods}
    return sorted(path for path in paths if not path.startswith(NOT_DATA))


async def test_no_get_opens_an_orm_session(client: AsyncTestClient, sql_settings, sessions: list[str]) -> None:
    people = await http_cast(client, sql_settings)
    owner, doctor, admin = people["owner"], people["doctor"], people["admin"]
    appointment = await book_over_http(client, owner, doctor)
    review = await client.post("/reviews/", json={"doctor": doctor.doctor_id, "rating": 4, "body": "kind"},
                               headers=owner.headers)
    contact = await client.post("/contacts/", json={"name": "A", "email": "a@example.com", "phone": "0170000",
                                                    "subject": "s", "massage": "m"})
    assert review.status_code == contact.status_code == 201, (review.text, contact.text)
    profile = (await client.get("/api/user/profiles/me", headers=owner.headers)).json()["id"]
    ids = {"profile_id": profile, "patient_id": owner.patient_id, "appointment_id": appointment["id"],
           "review_id": review.json()["id"], "taxon_id": 1, "time_id": doctor.times[0],
           "doctor_id": doctor.doctor_id, "service_id": 1, "contact_id": contact.json()["id"]}
    routes = _get_routes(client)
    assert len(routes) >= 25, routes
    sessions.clear()  # the cast's registrations and writes made theirs

    answers: dict[int, int] = {}
    for route in routes:
        names = _PARAMETER.findall(route)
        assert set(names) <= set(ids), route
        paths = [_PARAMETER.sub(lambda m: str(ids[m.group(1)]), route),
                 _PARAMETER.sub(str(MISSING), route)] if names else [route, f"{route}?search=a"]
        for path in paths:
            for party in (people["anonymous"], owner, doctor, admin):
                response = await client.get(f"{path}/" if not path.startswith("/health") and "?" not in path
                                            else path, headers=party.headers)
                answers[response.status_code] = answers.get(response.status_code, 0) + 1
                assert response.status_code < 500, (path, party.name, response.text)
                assert sessions == [], (path, party.name, sessions[0])
    assert answers.get(200, 0) > 50, answers  # the reads themselves ran, not only refusals


async def test_a_login_opens_no_orm_session(client: AsyncTestClient, sql_settings, sessions: list[str]) -> None:
    """A login reads the user to check the password on a read connection (on SQLite it took the
    writer's lock through an ORM session before), then records the login on the driver."""
    owner = (await http_cast(client, sql_settings))["owner"]
    sessions.clear()
    assert (await login_over_http(client, owner.username))["access"]
    wrong = await client.post("/api/user/login/", json={"username": owner.username, "password": "not it"})
    assert wrong.status_code == 401, wrong.text
    assert sessions == [], sessions[0]
