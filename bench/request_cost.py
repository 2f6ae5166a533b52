"""CPU per request in process: the app built as ``hospital serve`` builds it, called through raw ASGI
(no server, no sockets), on the bench's seed. What every request pays (routing, dependencies, the
actor, the rate limiter, the access log, the wrappers, the response) shows here without the
machine's load, which moves wrk's rates by up to eight times while it moves CPU time little.

    python -m bench.request_cost prepare --backend sqlite --dir /tmp/cost
    python -m bench.request_cost measure --backend sqlite --dir /tmp/cost [--calls 2000] [--rounds 3]
    python -m bench.request_cost profile --backend sqlite --dir /tmp/cost --endpoints patient
    python -m bench.request_cost calls --backend sqlite --dir /tmp/cost

``prepare`` migrates and seeds a database as ``bench/endpoints.py`` does (SQLite: a file in --dir;
PostgreSQL: ``BENCH_POSTGRES_DATABASE``, recreated). ``measure`` prints, per endpoint, the least and the median
over rounds of ``time.process_time`` per call, ``CONCURRENCY`` calls in flight at once as wrk's connections
are, and on PostgreSQL the median CPU of the server's backends per call (/proc, a local server);
``--responses FILE`` writes each endpoint's status, headers and body (request id, date and
timing left out) so that two builds' answers can be compared byte for byte. ``calls`` prints the
Python function calls per request (cProfile's count), which the machine's load does not move. Run another checkout's
code with ``PYTHONPATH=<checkout>/src``: the script only drives the ASGI app.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench import run
from bench.endpoints import LIST_APPOINTMENTS, LIST_PATIENT

CONCURRENCY = 16
ADMIN = "benchadmin"
PATIENT = f"patient{run.DOCTORS + 1}"


def _env(backend: str, directory: Path) -> dict[str, str]:
    url = (f"sqlite+aiosqlite:///{directory / 'bench.sqlite3'}" if backend == "sqlite" else
           f"postgresql+asyncpg://postgres@127.0.0.1:5432/{run.POSTGRES_DATABASE}")
    env = run._server_env({**os.environ, "BENCH_DIR": str(directory)}, url, directory)
    return {**env, "HOSPITAL_SECRET_KEY": "request-cost-" + "k" * 40, "HOSPITAL_RESPONSE_CACHE_BYTES": "0"}


def prepare(backend: str, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if backend == "postgresql":
        asyncio.run(run._fresh_postgres())
    else:
        (directory / "bench.sqlite3").unlink(missing_ok=True)
    env = _env(backend, directory)
    run.hospital("migrate", env=env)
    run.hospital("seed-demo", "--doctors", str(run.DOCTORS), "--patients", str(run.PATIENTS), "--appointments", "0",
                 "--reviews", str(run.REVIEWS), "--password", run.PASSWORD, env=env)
    run.hospital("createsuperuser", "--username", ADMIN, "--email", "admin@example.org", "--password", run.PASSWORD,
                 env=env)


class Client:
    """Raw ASGI calls, with the scope uvicorn builds."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._state: dict[str, Any] = {}

    async def start(self) -> None:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        started = asyncio.get_running_loop().create_future()
        await queue.put({"type": "lifespan.startup"})

        async def send(message: dict[str, Any]) -> None:
            if message["type"].startswith("lifespan.startup"):
                started.set_result(message)

        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.3"}, "state": self._state}
        self._lifespan = asyncio.ensure_future(self.app(scope, queue.get, send))
        await started

    async def call(self, method: str, target: str, token: str | None = None,
                   body: bytes = b"") -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        path, _, query = target.partition("?")
        headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk")]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        if body:
            headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "scheme": "http", "method": method,
            "root_path": "", "path": path, "raw_path": target.encode(), "query_string": query.encode(),
            "headers": headers, "state": dict(self._state),
        }
        sent = False
        answer: dict[str, Any] = {"body": b""}

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # a disconnect never comes
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"], answer["headers"] = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await self.app(scope, receive, send)
        return answer["status"], answer["headers"], answer["body"]

    async def json(self, method: str, target: str, token: str | None = None, body: Any = None) -> Any:
        status, _, answer = await self.call(method, target, token, b"" if body is None else json.dumps(body).encode())
        if status >= 400:
            raise RuntimeError(f"{method} {target}: {status} {answer[:300]!r}")
        return json.loads(answer) if answer else None


async def _fixtures(client: Client) -> tuple[dict[str, str], list[tuple[str, str, str | None]]]:
    async def login(username: str) -> str:
        return (await client.json("POST", "/api/user/login/", body={"username": username,
                                                                     "password": run.PASSWORD}))["access"]

    tokens = {"admin": await login(ADMIN), "patient": await login(PATIENT)}
    if not await client.json("GET", "/contacts/", tokens["admin"]):
        await client.json("POST", "/contacts/", body={"name": "Ann", "phone": "01712345678", "massage": "Hi"})
    patient = (await client.json("GET", "/patients/?limits=1", tokens["patient"]))["results"][0]["id"]
    # The appointment reads as bench/endpoints.py makes them: a patient with LIST_APPOINTMENTS of them.
    try:
        tokens["lister"] = await login(LIST_PATIENT)
    except RuntimeError:
        await client.json("POST", "/api/user/register/", body={
            "username": LIST_PATIENT, "email": f"{LIST_PATIENT}@example.org", "password": run.PASSWORD,
            "confirm_password": run.PASSWORD})
        tokens["lister"] = await login(LIST_PATIENT)
    listed = await client.json("GET", "/appointments/?limits=1", tokens["lister"])
    time_id = (await client.json("GET", "/doctors/2/"))["available_time"][0]
    for _ in range(LIST_APPOINTMENTS - listed["count"]):
        await client.json("POST", "/appointments/", tokens["lister"], {
            "doctor": 2, "appointment_type": "Online", "time": time_id, "symptoms": "cough"})
    listed = (await client.json("GET", "/appointments/?limits=1", tokens["lister"]))["results"][0]["id"]
    endpoints = [
        ("appointments", "/appointments/?limits=10", "lister"),
        ("patients", "/patients/?limits=10", "admin"),
        ("reviews", "/reviews/?limits=10", None),
        ("profile_me", "/api/user/profiles/me/", "patient"),
        ("appointment", f"/appointments/{listed}/", "lister"),
        ("contacts", "/contacts/", "admin"),
        ("designations", "/designations/", None),
        ("patient", f"/patients/{patient}/", "patient"),
        ("profiles", "/api/user/profiles/?limits=10", "admin"),
        ("doctors100", "/doctors/?limits=100", None),
        ("doctors1000", "/doctors/?limits=1000", None),
    ]
    return tokens, endpoints


async def _calls(client: Client, target: str, token: str | None, count: int) -> None:
    async def worker(share: int) -> None:
        for _ in range(share):
            status, _, body = await client.call("GET", target, token)
            if status != 200:
                raise RuntimeError(f"GET {target}: {status} {body[:300]!r}")

    await asyncio.gather(*(worker(count // CONCURRENCY) for _ in range(CONCURRENCY)))


def _app(backend: str, directory: Path) -> Any:
    os.environ.update(_env(backend, directory))
    # The access log is written as in production, to a file instead of a terminal.
    sys.stderr = open(directory / "server.log", "a")  # noqa: SIM115 - the worker's stderr for its life
    from hospital.entrypoints.http.asgi import create_app

    return create_app()


def _kept(headers: list[tuple[bytes, bytes]]) -> list[list[str]]:
    return [[n.decode(), v.decode("latin-1")] for n, v in headers if n.lower() not in (b"x-request-id", b"date")]


async def _measure(args: argparse.Namespace) -> None:
    client = Client(_app(args.backend, args.dir))
    await client.start()
    tokens, endpoints = await _fixtures(client)
    chosen = [e for e in endpoints if not args.endpoints or e[0] in args.endpoints.split(",")]
    answers = {}
    for name, target, who in chosen:
        status, headers, body = await client.call("GET", target, tokens.get(who or ""))
        answers[name] = {"status": status, "headers": _kept(headers), "body": body.decode()}
    if args.responses:
        Path(args.responses).write_text(json.dumps(answers, indent=1, sort_keys=True))  # noqa: ASYNC240 - once
    if args.command == "calls":
        # Python function calls per request: a proxy for work that the machine's load does not move.
        for name, target, who in chosen:
            await _calls(client, target, tokens.get(who or ""), args.calls // 4)
            profiler = cProfile.Profile()
            profiler.enable()
            await _calls(client, target, tokens.get(who or ""), args.calls)
            profiler.disable()
            total = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
            print(f"{name:14} {target:32} {who or 'anonymous':9} {total / args.calls:6.0f} calls", flush=True)
        return
    if args.command == "profile":
        name, target, who = chosen[0]
        await _calls(client, target, tokens.get(who or ""), args.calls // 4)
        profiler = cProfile.Profile()
        profiler.enable()
        await _calls(client, target, tokens.get(who or ""), args.calls)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(args.sort).print_stats(args.lines)
        print(out.getvalue())
        return
    results: dict[str, list[float]] = {name: [] for name, _, _ in chosen}
    server: dict[str, list[float]] = {name: [] for name, _, _ in chosen}
    for _name, target, who in chosen:  # warm up
        await _calls(client, target, tokens.get(who or ""), args.calls // 4)
    for _ in range(args.rounds):
        for name, target, who in chosen:
            started, served = time.process_time(), _server_cpu(args.backend)
            await _calls(client, target, tokens.get(who or ""), args.calls)
            results[name].append((time.process_time() - started) / args.calls * 1e6)
            server[name].append((_server_cpu(args.backend) - served) / args.calls * 1e6)
    for name, target, who in chosen:
        rounds = ", ".join(f"{value:.0f}" for value in results[name])
        # PostgreSQL's own work (planning, executing) is CPU of its backends, on the same cores.
        database = f", database median {statistics.median(server[name]):4.0f} us" if args.backend != "sqlite" else ""
        print(f"{name:14} {target:32} {who or 'anonymous':9} min {min(results[name]):5.0f} us, "
              f"median {statistics.median(results[name]):5.0f} us ({rounds}){database}")


def _server_cpu(backend: str) -> float:
    """CPU seconds of the PostgreSQL backends serving this database (a local server: /proc)."""
    return 0.0 if backend == "sqlite" else backends_cpu(run.POSTGRES_DATABASE)


def backends_cpu(database: str) -> float:
    """CPU seconds of the PostgreSQL server processes serving ``database`` (utime + stime from /proc)."""
    ticks, title = 0, f" postgres {database} ".encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if title in Path(f"/proc/{pid}/cmdline").read_bytes():
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def cost_arguments(description: str, commands: list[str]) -> argparse.ArgumentParser:
    """The options every in-process cost tool takes (this one, slots_cost.py); a tool adds its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("command", choices=commands)
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--responses", default="")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=45)
    return parser


def measure_then_exit(measure: Callable[[argparse.Namespace], Awaitable[None]], args: argparse.Namespace) -> None:
    """``measure(args)`` on uvloop, then out at once: cancelling the app's lifespan task at the
    loop's close can spin in anyio for minutes."""
    import uvloop

    async def finished() -> None:
        await measure(args)
        sys.stdout.flush()
        os._exit(0)

    uvloop.run(finished())


def main() -> None:
    parser = cost_arguments(__doc__.splitlines()[0], ["prepare", "measure", "profile", "calls"])
    parser.add_argument("--endpoints", default="", help="comma-separated names (profile: the first)")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.backend, args.dir)
        return
    measure_then_exit(_measure, args)


if __name__ == "__main__":
    main()
