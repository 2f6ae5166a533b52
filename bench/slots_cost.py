"""CPU per ``GET /doctors/{id}/slots/`` (bench/scheduling.py's S1) in process: the app built as
``hospital serve`` builds it, called through raw ASGI as bench/request_cost.py calls it.

    python -m bench.slots_cost prepare --backend sqlite --dir /tmp/slots
    python -m bench.slots_cost measure --backend sqlite --dir /tmp/slots [--calls 2000] [--rounds 5]
    python -m bench.slots_cost profile --backend sqlite --dir /tmp/slots

``prepare`` migrates a database (SQLite: a file in --dir; PostgreSQL: ``BENCH_POSTGRES_DATABASE``,
recreated) and builds S1's doctor with bench/scheduling.py's ``_prepare``. ``measure`` prints the
least and the median over rounds of the worker's ``time.process_time`` per call, and on PostgreSQL
the median CPU of the server's backends per call; ``--responses FILE`` writes the answer's headers and bytes so
that two builds can be compared byte for byte. ``--fresh`` measures the first listing of a range (a
new range each call, nothing reused), the work a listing costs after every booking. Run another
checkout's code with ``PYTHONPATH=<checkout>/src``.
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
from datetime import date, timedelta
from pathlib import Path

from bench import run
from bench.request_cost import CONCURRENCY, Client, _env, _server_cpu, cost_arguments, measure_then_exit
from bench.scheduling import DAYS, _prepare


def prepare(backend: str, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if backend == "postgresql":
        asyncio.run(run._fresh_postgres())
    else:
        (directory / "bench.sqlite3").unlink(missing_ok=True)
    env = _env(backend, directory)
    run.hospital("migrate", env=env)
    doctor, _, first = asyncio.run(_prepare(env))
    (directory / "slots.json").write_text(json.dumps({"doctor": doctor, "first": first.date().isoformat()}))


def _targets(directory: Path, fresh: int) -> list[str]:
    chosen = json.loads((directory / "slots.json").read_text())
    first = date.fromisoformat(chosen["first"])
    # --fresh: ranges shifted by a day each, all within the horizon, each listed once per round.
    return [f"/doctors/{chosen['doctor']}/slots/?from={first + timedelta(days=shift)}"
            f"&to={first + timedelta(days=shift + DAYS - 1)}" for shift in range(max(fresh, 1))]


async def _calls(client: Client, targets: list[str], count: int) -> None:
    async def worker(offset: int, share: int) -> None:
        for number in range(share):
            target = targets[(offset + number * CONCURRENCY) % len(targets)]
            status, _, body = await client.call("GET", target)
            if status != 200:
                raise RuntimeError(f"GET {target}: {status} {body[:300]!r}")

    await asyncio.gather(*(worker(offset, count // CONCURRENCY) for offset in range(CONCURRENCY)))


async def _measure(args: argparse.Namespace) -> None:
    os.environ.update(_env(args.backend, args.dir))
    sys.stderr = open(args.dir / "server.log", "a")  # noqa: SIM115, ASYNC230 - the worker's stderr, once
    from hospital.entrypoints.http.asgi import create_app

    client = Client(create_app())
    await client.start()
    targets = _targets(args.dir, args.fresh)
    status, headers, body = await client.call("GET", targets[0])
    assert status == 200, body[:300]
    if args.responses:  # the headers (request id and date left out), then the body
        kept = [[name.decode(), value.decode("latin-1")] for name, value in headers
                if name.lower() not in (b"x-request-id", b"date")]
        Path(args.responses).write_bytes(json.dumps(kept).encode() + b"\n" + body)  # noqa: ASYNC240 - once
    if args.fresh:
        # A new ListSlots answer each time: drop what the worker keeps between calls.
        async def calls(count: int) -> None:
            for number in range(count):
                _forget(client)
                await client.call("GET", targets[number % len(targets)])
    else:
        async def calls(count: int) -> None:
            await _calls(client, targets, count)
    await calls(args.calls // 4)
    if args.command == "profile":
        profiler = cProfile.Profile(time.process_time)  # CPU: waiting for the database is not the worker's cost
        profiler.enable()
        await calls(args.calls)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.lines)
        print(out.getvalue())
        return
    worker: list[float] = []
    server: list[float] = []
    for _ in range(args.rounds):
        started, served = time.process_time(), _server_cpu(args.backend)
        await calls(args.calls)
        worker.append((time.process_time() - started) / args.calls * 1e6)
        server.append((_server_cpu(args.backend) - served) / args.calls * 1e6)
    rounds = ", ".join(f"{value:.0f}" for value in worker)
    database = f", database median {statistics.median(server):4.0f} us" if args.backend != "sqlite" else ""
    print(f"slots{' fresh' if args.fresh else ''} {args.backend}: min {min(worker):5.0f} us, "
          f"median {statistics.median(worker):5.0f} us ({rounds}){database}", flush=True)


def _forget(client: Client) -> None:
    """Empty what the worker keeps between listings: ListSlots' expansions, the read side's sources."""
    use_case = client.app.state.container.list_slots()
    if hasattr(use_case, "_kept"):
        use_case._kept.clear()
        use_case._kept_slots = 0
    reads = getattr(getattr(use_case, "_reads", None), "schedules", None)
    if getattr(reads, "_answers", None) is not None:
        reads._answers.clear()


def main() -> None:
    parser = cost_arguments(__doc__.splitlines()[0], ["prepare", "measure", "profile"])
    parser.add_argument("--fresh", type=int, default=0, help="list this many ranges, nothing reused")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.backend, args.dir)
        return
    measure_then_exit(_measure, args)


if __name__ == "__main__":
    main()
