"""route_calls.py: every API handler is called by its plan, and a plan answers every request exactly
as Litestar's own way of calling the handler does (the app built with no plans at all)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from hospital.application.ports.security import TokenType
from hospital.entrypoints.http import route_calls
from hospital.entrypoints.http.app import create_app
from hospital.entrypoints.http.middleware import RateLimitMiddleware
from hospital.entrypoints.http.route_calls import HandlerPlan, PlannedRoute
from hospital.settings import Settings
from tests.support.apps import app_client, side_container
from tests.support.http import bearer
from tests.support.scheduling import clinic, next_monday_at

# What Litestar calls itself: its own OPTIONS answers, the schema and its assets, the media files
# (a static files handler), and the one sync handler.
LITESTARS = {"/health/live", "/schema", "/schema/swagger", "/schema/openapi.json", "/schema/oauth2-redirect.html",
             "/schema/static/{name:str}", "/schema/{path:str}", "/media/{file_path:path}"}


def _route_apps(app: Litestar) -> Iterator[tuple[str, str, Any]]:
    """(method, path, what the route middleware calls) for every route and method."""
    routes = [route for route in app.routes if isinstance(route, HTTPRoute)]
    nodes = [app.asgi_router.root_route_map_node]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.children.values())
        for method, (stack, handler) in node.asgi_handlers.items():
            inner = stack.app if isinstance(stack, RateLimitMiddleware) else stack
            paths = [route.path for route in routes if handler in route.route_handlers]
            assert paths, f"{method} {handler.paths}: no route holds it"
            yield method, paths[0], inner


def test_every_api_handler_is_called_by_its_plan(shared_app: Litestar) -> None:
    planned, unplanned = set(), set()
    for method, path, inner in _route_apps(shared_app):
        if isinstance(inner, PlannedRoute) and method in inner._plans:
            planned.add((method, path))
        elif method != "OPTIONS":
            unplanned.add((method, path))
    assert {path for _, path in unplanned} <= LITESTARS, unplanned
    assert ("POST", "/appointments") in planned and ("GET", "/doctors/{doctor_id:int}/slots") in planned
    assert len(planned) >= 77


def test_a_handler_litestar_must_check_is_not_planned(shared_app: Litestar) -> None:
    """A required or constrained parameter Litestar validates leaves the whole handler to it."""
    route = next(route for route in shared_app.routes if isinstance(route, HTTPRoute)
                 and route.path == "/appointments/{appointment_id:int}")
    handler, model = route.route_handler_map["GET"]
    assert HandlerPlan.of(route, handler, model) is not None
    (path,) = model.expected_path_params
    constrained = handler.parsed_fn_signature.parameters[path.field_name]
    original = constrained.kwarg_definition
    try:
        from litestar.params import ParameterKwarg

        object.__setattr__(constrained, "kwarg_definition", ParameterKwarg(gt=0))
        assert HandlerPlan.of(route, handler, model) is None
    finally:
        object.__setattr__(constrained, "kwarg_definition", original)


async def _answers(settings: Settings, tokens: dict[str, str], people: Any,
                   keys: str) -> list[tuple[int, bytes, dict[str, str]]]:
    """The answers to 33 requests; ``keys``: this run's Idempotency-Keys' prefix (a key used by the
    other run would be answered with its replay)."""
    admin, patient = bearer(tokens["admin"]), bearer(tokens["patient"])
    doctor = people.doctor.doctor_id
    start = next_monday_at(9).strftime("%Y-%m-%dT%H:%M:%SZ")
    taken = next_monday_at(10).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with app_client(settings) as client:
        answers = [
            await client.get("/doctors/"),
            await client.get("/doctors/?page=1&limits=1&fee=500"),
            await client.get("/doctors/?page=2&page=1"),  # a repeated key: Litestar's choice of value
            await client.get("/doctors/?page=&limits=abc"),
            await client.get(f"/doctors/{doctor}/"),
            await client.get("/doctors/999999/"),
            await client.get("/doctors/abc/"),
            await client.get(f"/doctors/{doctor}/slots/?from=2020-01-01&to=2020-01-02", headers=patient),
            await client.get(f"/doctors/{doctor}/slots/?from=nonsense", headers=patient),
            await client.get(f"/doctors/{doctor}/schedule/", headers=admin),
            await client.get(f"/appointments/{people.admin.user_id}/", headers=admin),
            await client.get("/appointments/"),  # no token
            await client.get("/appointments/", headers=bearer("not-a-token")),
            await client.get("/appointments/", headers={"Authorization": "Basic abc"}),
            await client.get("/appointments/?status=booked&doctor_id=x", headers=admin),
            await client.get("/reviews/?reviwer=1&search=a"),
            await client.get("/reviews/?search=" + "a" * 1001),  # checked (max_length): Litestar's 400
            await client.get("/reviews/?search=" + "a" * 1000),  # checked and valid: the plan's
            await client.get("/audit-events/?since=yesterday&page=99999", headers=admin),
            await client.get("/audit-events/?action=read", headers=patient),
            await client.get("/designations/", headers=admin),
            # Creating POSTs: Idempotency-Key is checked, so a request that sends one is Litestar's.
            await client.post("/appointments/", json={"doctor": doctor, "start": taken,
                                                      "appointment_type": "Online"}, headers=patient),
            await client.post("/appointments/", json={"doctor": doctor, "start": taken,
                                                      "appointment_type": "Online"}, headers=patient),
            await client.post("/appointments/", json={"doctor": doctor, "start": start, "appointment_type": "x"},
                              headers={**patient, "Idempotency-Key": "bad key with spaces"}),
            await client.post("/appointments/", json={"doctor": doctor, "start": start}, headers=patient),
            await client.post("/appointments/", content=b"{not json", headers={**patient, "Content-Type":
                                                                             "application/json"}),
            await client.post("/appointments/", data={"doctor": str(doctor), "time": "x"}, headers=patient),
            await client.patch("/appointments/999999/", json={"symptoms": "x"}, headers=patient),
            await client.delete("/appointments/999999/", headers=admin),
            await client.put(f"/doctors/{doctor}/schedule/", json={"timezone": "Mars/Olympus"}, headers=admin),
            # A valid key is the plan's: a refused body, and a clash (recorded under this run's key).
            await client.post("/appointments/", json={"doctor": doctor, "start": start},
                              headers={**patient, "Idempotency-Key": f"{keys}-refused"}),
            await client.post("/appointments/", json={"doctor": doctor, "start": taken, "appointment_type": "Online"},
                              headers={**patient, "Idempotency-Key": f"{keys}-clash"}),
            await client.get("/appointments/", headers=patient),  # the one booking, made by the first app
        ]
    return [(answer.status_code, answer.content,
             {key: value for key, value in answer.headers.items() if key not in {"x-request-id", "date"}})
            for answer in answers]


async def test_plans_answer_as_litestar_does(sql_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    async with side_container(sql_settings) as container:
        people = await clinic(container)
        issue = container.tokens().issue
        tokens = {name: issue(user_id=getattr(people, name).user_id, token_type=TokenType.ACCESS).token
                  for name in ("admin", "patient")}
    planned = await _answers(sql_settings, tokens, people, "planned")
    # Every handler called Litestar's way (each request answered by an app of its own, apps on one database).
    monkeypatch.setattr(route_calls.HandlerPlan, "of", classmethod(lambda cls, *_: None))
    async with side_container(sql_settings) as container:
        assert not any(isinstance(inner, PlannedRoute) for _, _, inner in _route_apps(create_app(container)))
    litestars_answers = await _answers(sql_settings, tokens, people, "litestars")
    statuses = [status for status, _, _ in planned]
    assert statuses == [200, 200, 404, 400, 200, 404, 404, 200, 400, 200, 404, 401, 401, 401, 400, 200, 400, 200, 404,
                        403, 200, 201, 409, 400, 400, 400, 400, 404, 404, 400, 400, 409, 200]
    assert planned[:21] == litestars_answers[:21]
    # The booking: the first app's took the slot; the second app's is refused like the first's second.
    assert litestars_answers[21][0] == 409 and litestars_answers[21] == planned[22]
    assert planned[22:] == litestars_answers[22:]


def _plan(app: Litestar, path: str, method: str) -> HandlerPlan:
    route = next(route for route in app.routes if isinstance(route, HTTPRoute) and route.path == path)
    plan = HandlerPlan.of(route, *route.route_handler_map[method])
    assert plan is not None
    return plan


def _scope(query: bytes = b"", headers: tuple[tuple[bytes, bytes], ...] = ()) -> Any:
    return {"type": "http", "query_string": query, "headers": list(headers), "state": {}}


def test_a_checked_parameter_is_the_plans_only_when_its_validation_accepts_it(shared_app: Litestar) -> None:
    booking = _plan(shared_app, "/appointments", "POST")
    assert booking.checked_arguments(_scope()) == {"idempotency_key": None}
    key = (b"idempotency-key", b"k-1")
    assert booking.checked_arguments(_scope(headers=((b"host", b"x"), key, (b"idempotency-key", b"k-2")))) == {
        "idempotency_key": "k-1"}  # of a header sent twice, the first, as Litestar's Headers gives it
    for refused in (b"with space", b"k" * 256, b""):
        assert booking.checked_arguments(_scope(headers=((b"idempotency-key", refused),))) is None
    reviews = _plan(shared_app, "/reviews", "GET")
    assert reviews.checked_arguments(_scope(b"search=" + b"a" * 1000)) == {"search": "a" * 1000, "rating": None}
    assert reviews.checked_arguments(_scope(b"search=" + b"a" * 1001)) is None
    assert reviews.checked_arguments(_scope(b"page=2")) == {"search": None, "rating": None}
