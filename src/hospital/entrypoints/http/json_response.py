"""The app's ``response_class``: what a handler returns, sent as JSON by the shortest path.

Litestar makes a ``Response`` of every value a handler returns, then an ``ASGIResponse`` with a
mutable header mapping, a cookie tuple and several checks, about a tenth of a small read's work. The
usual answer has none of what that machinery is for: no headers, cookies or background task of its
own, a JSON media type, a status that has a body, not a HEAD request. For it, ``JsonResponse`` sends
the two messages Litestar would send -- ``content-type: application/json`` then ``content-length``,
the body encoded by the same ``Response.render`` with the same serializer -- from a small slotted
object. Whatever is not that usual answer goes Litestar's own way, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from litestar import MediaType, Response
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.connection import Request
from litestar.datastructures import Cookie
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.http_handlers._utils import normalize_headers
from litestar.serialization import get_serializer
from litestar.types import Receive, Scope, Send, TypeEncodersMap
from litestar.utils.helpers import get_enum_string_value

_JSON = MediaType.JSON.value
_CONTENT_TYPE = (b"content-type", _JSON.encode("latin-1"))
# The statuses Litestar sends without a body (it then leaves out content-type and content-length).
_NO_BODY = frozenset({204, 304})


class EncodedJson:
    """An ASGI app answering ``status`` with ``body``, JSON, as Litestar's ``ASGIResponse`` would."""

    __slots__ = ("body", "status")

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [_CONTENT_TYPE, (b"content-length", str(len(self.body)).encode("latin-1"))]})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class JsonResponse(Response[Any]):
    __slots__ = ()

    def __init__(self, content: Any, *, background: BackgroundTask | BackgroundTasks | None = None,
                 cookies: Any = None, encoding: str = "utf-8", headers: Any = None, media_type: Any = None,
                 status_code: int | None = None, type_encoders: TypeEncodersMap | None = None) -> None:
        if cookies or headers:
            super().__init__(content, background=background, cookies=cookies, encoding=encoding, headers=headers,
                             media_type=media_type, status_code=status_code, type_encoders=type_encoders)
            return
        # Response.__init__ with neither cookies nor headers, without its conversions.
        self.content, self.background, self.cookies, self.encoding = content, background, [], encoding
        self.headers, self.media_type, self.status_code = {}, media_type, status_code
        self.response_type_encoders = {**(self.type_encoders or {}), **(type_encoders or {})}

    def to_asgi_response(self, app: Any, request: Request, *,
                         background: BackgroundTask | BackgroundTasks | None = None,
                         cookies: Iterable[Cookie] | None = None,
                         encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
                         headers: dict[str, str] | None = None, is_head_response: bool = False,
                         media_type: MediaType | str | None = None, status_code: int | None = None,
                         type_encoders: TypeEncodersMap | None = None) -> Any:
        status = self.status_code or status_code or 200
        usual = (app is None and not headers and not self.headers and not cookies and not self.cookies
                 and encoded_headers is None and background is None and self.background is None
                 and not is_head_response and not type_encoders
                 and status >= 200 and status not in _NO_BODY
                 and get_enum_string_value(self.media_type or media_type or MediaType.JSON) == _JSON)
        if not usual:
            return super().to_asgi_response(
                app, request, background=background, cookies=cookies, encoded_headers=encoded_headers,
                headers=headers, is_head_response=is_head_response, media_type=media_type,
                status_code=status_code, type_encoders=type_encoders)
        return EncodedJson(status, self.render(self.content, _JSON, get_serializer(self.response_type_encoders)))


def usual_answer(handler: HTTPRouteHandler) -> Callable[[Any], EncodedJson] | None:
    """What ``handler.to_response`` makes of any value the handler returns that is neither a
    ``Response`` nor awaitable, when that is always the usual answer: the handler and its layers
    set no headers, cookies, background task, ``after_request`` hook or return DTO, and answer JSON
    with a status that has a body. Then ``JsonResponse`` would always take its short way, so the
    answer is made at once (route_calls.py), with the same status, serializer and ``render``. None
    when some answer of the handler could be another."""
    if (handler.resolve_return_dto() is not None or handler.background is not None
            or any(layer.after_request for layer in handler.ownership_layers)
            or handler.resolve_response_class() is not JsonResponse
            or normalize_headers(handler.resolve_response_headers()) or handler.resolve_response_cookies()):
        return None
    status = handler.status_code
    if get_enum_string_value(handler.media_type or MediaType.JSON) != _JSON or status < 200 or status in _NO_BODY:
        return None
    serializer = get_serializer({**(JsonResponse.type_encoders or {}), **(handler.resolve_type_encoders() or {})})
    render = JsonResponse(None).render

    def answer(data: Any) -> EncodedJson:
        return EncodedJson(status, render(data, _JSON, serializer))

    return answer
