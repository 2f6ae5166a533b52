"""JsonResponse: the usual answer sent as Litestar would send it, anything else left to Litestar."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from litestar import Response
from litestar.datastructures import Cookie

from hospital.entrypoints.http.json_response import EncodedJson, JsonResponse


class Row(msgspec.Struct):
    id: int
    name: str
    at: datetime


CONTENT = [Row(1, "Ann", datetime(2026, 12, 3, 9, 30, tzinfo=UTC)),
           Row(2, "Bo\u00e9", datetime(2026, 1, 1, tzinfo=UTC))]


def _sent(app: Any) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    asyncio.run(app({"type": "http"}, receive, send))
    return messages


def _both(status: int = 200, **litestar_arguments: Any) -> tuple[Any, Any]:
    ours = JsonResponse(CONTENT, media_type="application/json", status_code=status)
    theirs = Response(CONTENT, media_type="application/json", status_code=status)
    return (ours.to_asgi_response(None, None, **litestar_arguments),  # type: ignore[arg-type]
            theirs.to_asgi_response(None, None, **litestar_arguments))  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [200, 201])
def test_the_usual_answer_sends_the_messages_litestar_sends(status: int) -> None:
    ours, theirs = _both(status, headers={}, cookies=frozenset())
    assert isinstance(ours, EncodedJson)
    assert _sent(ours) == _sent(theirs)


@pytest.mark.parametrize("arguments", [
    {"headers": {"x-extra": "1"}},
    {"cookies": [Cookie(key="k", value="v")]},
])
def test_an_answer_with_more_than_a_body_goes_litestars_way(arguments: dict[str, Any]) -> None:
    ours, theirs = _both(**arguments)
    assert not isinstance(ours, EncodedJson)
    assert _sent(ours) == _sent(theirs)


def test_headers_cookies_another_media_type_or_no_body_status_go_litestars_way() -> None:
    with_header = JsonResponse(CONTENT, headers={"x-extra": "1"})
    fhir = JsonResponse(CONTENT, media_type="application/fhir+json")
    empty = JsonResponse(None, status_code=204)
    for response in (with_header, fhir, empty):
        assert not isinstance(response.to_asgi_response(None, None), EncodedJson)  # type: ignore[arg-type]
    sent = _sent(with_header.to_asgi_response(None, None))  # type: ignore[arg-type]
    assert dict(sent[0]["headers"])[b"x-extra"] == b"1"


def test_a_head_answer_goes_litestars_way() -> None:
    # Litestar refuses content in a HEAD answer; so does JsonResponse, by leaving it to Litestar.
    from litestar.exceptions import ImproperlyConfiguredException

    for response in (JsonResponse(CONTENT), Response(CONTENT)):
        with pytest.raises(ImproperlyConfiguredException):
            response.to_asgi_response(None, None, is_head_response=True)  # type: ignore[arg-type]
