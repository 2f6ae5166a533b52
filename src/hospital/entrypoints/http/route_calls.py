"""The innermost route middleware: each handler called with the arguments Litestar would give it, by
a plan made once per handler instead of Litestar's per-request machinery.

For every request Litestar's ``HTTPRoute.handle`` builds the kwargs through a ``KwargsModel``
(extractor coroutines, a dependency graph walked batch by batch, an ``AsyncExitStack``) and then
validates them all again through the handler's msgspec signature model: about a tenth of a
dated booking's CPU and more of a small read's (bench/findings.md). Our handlers ask for little:
``request``, the two app dependencies (``container``, then ``actor``), path parameters the router
has already converted, and a few optional text parameters. A ``HandlerPlan`` gets those the way
Litestar's own extractors do and skips the validation only where it cannot refuse anything:

- a path parameter whose annotation is the type the route's converter produced, with no constraint;
- a query or header parameter that is plain text (``str`` or ``str | None``) with no constraint,
  read from the same parsed query and ``Headers`` as Litestar's extractors, with the same defaults;
- a dependency whose provider is a plain function or coroutine (no generator, no cache) taking
  only other dependencies, called in Litestar's batch order.

A parameter that may be refused (``Idempotency-Key``'s pattern, ``search``'s length) is "checked":
while the request does not carry it the plan gives its default, which nothing can refuse; when it
does, its text is converted by msgspec with the handler's signature model's own annotation for it,
as Litestar's validation converts it, and if that refuses it (or the parameter is not text) the
request goes Litestar's own way, all of it, to be refused as always. A handler with anything else
(a guard, ``before_request``, ``after_response``, a response cache, ``data``, cookies, a sync
function, any other reserved kwarg) is not planned: every request to it goes Litestar's way. So
every request is answered exactly as Litestar would answer it, and the plan is only a shorter road
to the same kwargs (tests/integration/operations/test_route_calls.py holds the two side by side).

What stays Litestar's: routing and path conversion (before this middleware), the ``Request``
object, the exception handlers (an exception goes up unchanged, as from ``HTTPRoute.handle``), the
form cleanup after the response, and the handler's ``to_response`` (our ``JsonResponse``) except
where it can only make the usual JSON answer (json_response.py's ``usual_answer``: made at once).

It relies on Litestar 2 internals (``HTTPRoute.route_handler_map``, ``KwargsModel``'s fields, the
route-level ``ExceptionHandlerMiddleware``); ``planned`` checks the types it reads and leaves any
route it does not recognise to Litestar.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import isawaitable
from typing import Any

import msgspec
from litestar import Response
from litestar._kwargs.extractors import create_query_default_dict
from litestar._parsers import parse_query_string
from litestar.datastructures import FormMultiDict, Headers
from litestar.enums import ParamType
from litestar.middleware._internal.exceptions import ExceptionHandlerMiddleware
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from hospital.entrypoints.http.json_response import usual_answer

# A parameter definition's fields that make Litestar's validation able to refuse a value.
_CONSTRAINTS = ("const", "gt", "ge", "lt", "le", "multiple_of", "min_items", "max_items", "min_length",
                "max_length", "pattern", "lower_case", "upper_case")
_TEXT = (str, str | None)


def planned(app: ASGIApp) -> ASGIApp:
    """The route under the route middleware, its handlers called by their plans (a ``DefineMiddleware``
    target: ``app`` is what Litestar puts under the middleware, ``HTTPRoute.handle`` in its exception
    layer). Anything else is returned as it is."""
    app = without_exception_layer(app)
    route = getattr(app, "__self__", None)
    if type(route) is not HTTPRoute or getattr(app, "__func__", None) is not HTTPRoute.handle:
        return app
    plans = {method: plan for method, (handler, model) in route.route_handler_map.items()
             if (plan := HandlerPlan.of(route, handler, model)) is not None}
    return PlannedRoute(route, plans) if plans else app


def without_exception_layer(app: ASGIApp) -> ASGIApp:
    """The route's handler without the exception middleware Litestar puts between it and any route
    middleware. Litestar adds that layer so that a middleware wrapping ``send`` sees error responses;
    ours (the rate limiter, this one) do not wrap ``send``, so an exception raised by the handler is
    answered the same by the app's own exception middleware, one layer up (with the route's
    exception handlers, which the router has put in the scope's state before calling the route)."""
    if type(app) is ExceptionHandlerMiddleware and app.exception_handlers is None:
        return app.app
    return app


class PlannedRoute:
    """``HTTPRoute.handle`` with the planned methods called by their plans."""

    __slots__ = ("_handle", "_plans")

    def __init__(self, route: HTTPRoute, plans: dict[str, HandlerPlan]) -> None:
        self._handle, self._plans = route.handle, plans

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        plan = self._plans.get(scope["method"])  # type: ignore[typeddict-item]
        if plan is not None and (checked := plan.checked_arguments(scope)) is not None:
            await plan(scope, receive, send, checked)
            return
        await self._handle(scope, receive, send)  # type: ignore[arg-type]


class HandlerPlan:
    """How one handler's arguments are found, in the order Litestar finds them, and its call."""

    __slots__ = (
        "_answer",
        "_checked_header_names",
        "_checked_headers",
        "_checked_query",
        "_defaults",
        "_fn",
        "_handler",
        "_headers",
        "_path",
        "_providers",
        "_query",
        "_request_class",
        "_takes_request",
        "_unused",
    )

    def __init__(self, handler: Any, *, takes_request: bool, path: list[str],
                 query: list[tuple[str, str, Any]], headers: list[tuple[str, str, Any]],
                 checked_query: list[tuple[str, str, Any, Any]], checked_headers: list[tuple[str, str, Any, Any]],
                 providers: list[tuple[str, Callable[..., Any], bool, tuple[str, ...]]],
                 unused: tuple[str, ...]) -> None:
        self._handler, self._fn, self._answer = handler, handler.fn, usual_answer(handler)
        self._request_class = handler.resolve_request_class()
        self._takes_request, self._path, self._query, self._headers = takes_request, path, query, headers
        self._checked_query, self._checked_headers = checked_query, checked_headers
        self._checked_header_names = frozenset(alias.encode("latin-1") for _, alias, _, _ in checked_headers)
        # What a request that carries no checked parameter gets for them.
        self._defaults = {name: default for name, _, default, _ in (*checked_query, *checked_headers)}
        self._providers, self._unused = providers, unused

    @classmethod
    def of(cls, route: HTTPRoute, handler: Any, model: Any) -> HandlerPlan | None:
        """The handler's plan, or None if Litestar must call it (the module's docstring says when)."""
        if (handler.resolve_guards() or handler.resolve_before_request() or handler.resolve_after_response()
                or handler.cache or handler.has_sync_callable or handler.signature_model is None
                or model.expected_cookie_params or model.expected_form_data or model.expected_msgpack_data
                or model.expected_data_dto or model.sequence_query_parameter_names
                or not model.expected_reserved_kwargs <= {"request"}):
            return None
        fields = handler.parsed_fn_signature.parameters
        path: list[str] = []
        for parameter in model.expected_path_params:
            converted = route.path_parameters.get(parameter.field_alias)
            field = fields.get(parameter.field_name)
            if (converted is None or field is None or parameter.field_name != parameter.field_alias
                    or field.annotation is not converted.type or _constrained(field)):
                return None
            path.append(parameter.field_name)
        annotations = handler.signature_model.__annotations__
        query, checked_query = cls._texts(fields, annotations, model.expected_query_params, ParamType.QUERY)
        headers, checked_headers = cls._texts(fields, annotations, model.expected_header_params, ParamType.HEADER)
        if query is None or headers is None:
            return None
        providers = []
        for batch in model.dependency_batches:
            if len(batch) != 1:
                return None  # Litestar resolves a larger batch in a task group
            for dependency in batch:
                provide = dependency.provide
                takes = tuple(provide.parsed_fn_signature.parameters)
                if (provide.use_cache or provide.has_sync_generator_dependency
                        or provide.has_async_generator_dependency
                        or not set(takes) <= {each.key for each in dependency.dependencies}):
                    return None
                providers.append((dependency.key, provide.dependency, provide.has_sync_callable, takes))
        # Dependencies only other dependencies take are not the handler's arguments.
        unused = tuple(key for key, *_ in providers if key not in fields)
        return cls(handler, takes_request="request" in model.expected_reserved_kwargs, path=path,
                   query=query, headers=headers, checked_query=checked_query, checked_headers=checked_headers,
                   providers=providers, unused=unused)

    @staticmethod
    def _texts(fields: Any, annotations: dict[str, Any], parameters: Any, kind: ParamType) -> tuple[Any, Any]:
        """The free text parameters as (name, alias, default), and the checked ones as (name, alias,
        default, the signature model's annotation if the value is text, else None); None if one is
        neither (it is required, or its default is not None)."""
        free: list[tuple[str, str, Any]] = []
        checked: list[tuple[str, str, Any, Any]] = []
        for parameter in parameters:
            name, field = parameter.field_name, fields.get(parameter.field_name)
            alias = parameter.field_alias.lower() if kind is ParamType.HEADER else parameter.field_alias
            if field is None or parameter.is_required or parameter.default is not None:
                return None, []
            if field.annotation in _TEXT and not _constrained(field):
                free.append((name, alias, parameter.default))
            else:
                annotation = annotations.get(name) if field.annotation in _TEXT else None
                checked.append((name, alias, parameter.default, annotation))
        return free, checked

    def checked_arguments(self, scope: Scope) -> dict[str, Any] | None:
        """The checked parameters' arguments: a parameter's default when the request does not carry
        it, and when it does, what the handler's signature model makes of its text (the validation
        Litestar runs, with the same annotation); None when that refuses one, or when a carried
        parameter is not text: then Litestar answers the request, all of it, as always."""
        arguments = dict(self._defaults)
        if self._checked_query and scope.get("query_string"):
            values = self._parsed_query(scope)
            for name, alias, _, annotation in self._checked_query:
                if alias in values and not _validated(arguments, name, values[alias], annotation):
                    return None
        names = self._checked_header_names
        if names and any(raw.lower() in names for raw, _ in scope["headers"]):  # type: ignore[typeddict-item]
            sent = Headers.from_scope(scope)  # the object Litestar's extractor reads (kept in the scope)
            for name, alias, _, annotation in self._checked_headers:
                if alias in sent and not _validated(arguments, name, sent[alias], annotation):
                    return None
        return arguments

    @staticmethod
    def _parsed_query(scope: Scope) -> Any:
        """The query as Litestar's extractor parses it (no sequence parameters: a plan has none)."""
        parsed = parse_query_string(scope.get("query_string", b""))
        ScopeState.from_scope(scope).parsed_query = parsed
        return create_query_default_dict(parsed_query=parsed, sequence_query_parameter_names=())

    async def __call__(self, scope: Scope, receive: Receive, send: Send, arguments: dict[str, Any]) -> None:
        """The handler called with ``arguments`` (``checked_arguments``') and the rest of its own."""
        request = self._request_class(scope=scope, receive=receive, send=send)
        try:
            if self._takes_request:
                arguments["request"] = request
            if self._path:
                given = scope["path_params"]  # type: ignore[typeddict-item]
                for name in self._path:
                    arguments[name] = given[name]
            if self._query:
                values = self._parsed_query(scope) if scope.get("query_string") else {}  # type: ignore[typeddict-item]
                for name, alias, default in self._query:
                    arguments[name] = values.get(alias, default)
            if self._headers:
                sent = request.headers
                for name, alias, default in self._headers:
                    arguments[name] = sent.get(alias, default)
            for key, provide, is_sync, takes in self._providers:
                given = {name: arguments[name] for name in takes}
                arguments[key] = provide(**given) if is_sync else await provide(**given)
            for key in self._unused:
                del arguments[key]
            data = await self._fn(**arguments)
            if self._answer is not None and not isinstance(data, Response) and not isawaitable(data):
                await self._answer(data)(scope, receive, send)
            else:
                response = await self._handler.to_response(app=scope["litestar_app"], data=data, request=request)  # type: ignore[typeddict-item]
                await response(scope, receive, send)
        finally:
            if (form := ScopeState.from_scope(scope).form) is not Empty:
                await FormMultiDict.from_form_data(form).close()


def _validated(arguments: dict[str, Any], name: str, value: Any, annotation: Any) -> bool:
    """``arguments[name]`` set to ``value`` as the signature model's ``annotation`` converts it (as
    Litestar's ``parse_values_from_connection_kwargs`` does: not strict); False if it refuses it."""
    if annotation is None:
        return False
    try:
        arguments[name] = msgspec.convert(value, annotation, strict=False)
    except msgspec.ValidationError:
        return False
    return True


def _constrained(field: Any) -> bool:
    definition = field.kwarg_definition
    return definition is not None and any(getattr(definition, name, None) is not None for name in _CONSTRAINTS)


__all__ = ["HandlerPlan", "PlannedRoute", "planned", "without_exception_layer"]
