"""Encoded public responses kept per worker while the data they were made from has not changed.

A page of 1,000 doctors takes milliseconds to read and render and microseconds to send. Anyone may
read the doctor list, and it changes when an admin edits the catalogue, so each worker keeps the
bytes it answered, labelled with the data version they were made at (``DoctorViewsVersion``, which
the database moves on every committed write that changes a doctor's view, whichever worker or tool
wrote it). A request first asks for the current version (one indexed read), and only bytes made at
that version are reused. A page made while a write committed is labelled with the version read
before it, so it is never reused after the change.

The key is everything the bytes depend on besides the data: scheme, host, root path, path and the
raw query (links and image URLs are absolute and echo the client's query). Bounded by total size,
least recently used first out, keys counted in (a client chooses its query string, and could
otherwise fill memory with tiny pages under long keys); a response bigger than an eighth of the
budget is not kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import MediaType, Request, Response
from litestar.serialization import encode_json
from litestar.types import Scope

# What an entry costs beyond its bytes: the tuple, the dictionary slot, the objects' headers.
_ENTRY_OVERHEAD = 400

CacheKey = tuple[str, bytes, str, bytes, bytes]


def request_key(scope: Scope) -> CacheKey:
    host = b""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
            break
    return (scope["scheme"], host, scope.get("root_path", ""), scope.get("raw_path") or scope["path"].encode(),
            scope.get("query_string", b""))


def _cost(key: CacheKey, body: bytes) -> int:
    return len(body) + sum(len(part) for part in key) + _ENTRY_OVERHEAD


class ResponseCache:
    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, tuple[int, bytes, int]] = OrderedDict()
        self._bytes = 0

    @property
    def size(self) -> int:
        return self._bytes

    def get(self, key: CacheKey, version: int) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] != version:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: CacheKey, version: int, body: bytes) -> None:
        cost = _cost(key, body)
        if cost * 8 > self._max_bytes:
            return
        self._drop(key)
        self._entries[key] = (version, body, cost)
        self._bytes += cost
        while self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: CacheKey) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[2]


async def cached_response(request: Request, version: Callable[[], Awaitable[int]],
                          produce: Callable[[], Awaitable[Any]]) -> Response[bytes]:
    """``produce``'s answer, JSON-encoded, or the bytes it gave at this data ``version`` before."""
    cache: ResponseCache | None = request.app.state.response_cache
    if cache is None:
        return Response(encode_json(await produce()), media_type=MediaType.JSON)
    current = await version()
    key = request_key(request.scope)
    body = cache.get(key, current)
    if body is None:
        body = encode_json(await produce())
        cache.put(key, current, body)
    return Response(body, media_type=MediaType.JSON)


class EncodedValues:
    """The JSON bytes of values a use case answers again while they are unchanged (``SlotListing``:
    the very same object while its sources and the clock leave it so), kept by the object's
    identity. Each entry holds its object, so no other object can take its id while it is kept.
    The worker's last ``entries`` values at most."""

    def __init__(self, entries: int = 16) -> None:
        self._entries: OrderedDict[int, tuple[object, bytes]] = OrderedDict()
        self._max = entries

    def encoded(self, value: object) -> bytes:
        entry = self._entries.get(id(value))
        if entry is not None and entry[0] is value:
            self._entries.move_to_end(id(value))
            return entry[1]
        body = encode_json(value)
        self._entries[id(value)] = (value, body)
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return body
