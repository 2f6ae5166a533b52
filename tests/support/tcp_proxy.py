"""A TCP forwarder on a local port that a test can cut and restore: a database "going away"
(network partition, failover, restart) without touching the real server. It can also drop one
direction's bytes (``drop``): a request that never arrives, or an answer lost on its way back."""

from __future__ import annotations

import asyncio
import threading
from contextlib import suppress

from sqlalchemy.engine import make_url

from tests.support.server_process import free_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host, self.target_port = target_host, target_port
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._dropping: set[str] = set()

    @classmethod
    def before(cls, database_url: str) -> TcpProxy:
        """A proxy to the server ``database_url`` names (enter it to start forwarding)."""
        target = make_url(database_url)
        return cls(target.host or "127.0.0.1", target.port or 5432)

    def url_through(self, database_url: str) -> str:
        """``database_url`` with its connections going through this proxy."""
        return make_url(database_url).set(port=self.port).render_as_string(hide_password=False)

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        self.restore()
        return self

    def __exit__(self, *_: object) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def _call(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str) -> None:
        with suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                if direction in self._dropping:
                    continue
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.close()
            return
        self._writers |= {client_writer, upstream_writer}
        await asyncio.gather(self._pipe(client_reader, upstream_writer, "requests"),
                             self._pipe(upstream_reader, client_writer, "answers"))
        self._writers -= {client_writer, upstream_writer}

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()  # a reset, as a dead host or a restarted server gives
        self._writers.clear()

    def cut(self) -> None:
        """Refuse new connections and break the open ones."""
        self._call(self._stop())

    def drop(self, *directions: str) -> None:
        """From now on, drop the bytes going one way on every connection: "requests" (client to
        server) or "answers" (server to client); none: forward everything again. A connection whose
        other end closes is still closed."""
        assert set(directions) <= {"requests", "answers"}
        self._dropping = set(directions)

    def restore(self) -> None:
        self._call(self._start())
