"""CPU and Python calls per booking in process (bench/request_cost.py's way, for POSTs): the dated
booking of S2 (``POST /appointments/`` with ``start``, each call a new free slot) and the legacy one of
R4 (``time``, undated), through raw ASGI on bench/scheduling.py's doctor (a fresh database each run).

    python -m bench.booking_cost --backend sqlite --dir /tmp/book [--calls 1600] [--profile dated] [--unaudited]

``--unaudited``: with every audit write taken out, as bench/unaudited_app.py does (A3's baseline).

PostgreSQL uses (and recreates) ``BENCH_POSTGRES_DATABASE``. Another checkout's code: ``PYTHONPATH=<checkout>/src``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import shutil
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import request_cost, run, scheduling, write_cost


async def _book(client: request_cost.Client, token: str, bodies: list[bytes]) -> None:
    async def worker(share: list[bytes]) -> None:
        for body in share:
            status, _, answer = await client.call("POST", "/appointments/", token, body)
            if status != 201:
                raise RuntimeError(f"POST /appointments/: {status} {answer[:300]!r}")

    await asyncio.gather(*(worker(bodies[i::request_cost.CONCURRENCY]) for i in range(request_cost.CONCURRENCY)))


async def _measure(args: argparse.Namespace, doctor: int, token: str, first: Any) -> None:
    if args.unaudited:
        from bench.unaudited_app import _nothing
        from hospital.adapters.audit_log import BufferedAuditLog
        from hospital.adapters.sqlalchemy.audit import SqlAlchemyAuditTrail

        SqlAlchemyAuditTrail.append = _nothing  # type: ignore[method-assign, assignment]
        SqlAlchemyAuditTrail.append_many = _nothing  # type: ignore[method-assign, assignment]
        BufferedAuditLog.record = _nothing  # type: ignore[method-assign, assignment]
    client = request_cost.Client(request_cost._app(args.backend, args.dir))
    await client.start()
    # The asyncpg calls that wait for the server, as bench/write_cost.py counts them (the HTTP
    # authentication's read of the actor included).
    trips = write_cost.RoundTrips()
    trips.install()
    time_id = (await client.json("GET", f"/doctors/{doctor}/"))["available_time"][0]
    next_slot = [0]

    def bodies(kind: str, count: int) -> list[bytes]:
        if kind == "legacy":
            return [json.dumps({"doctor": doctor, "time": time_id, "appointment_type": "Online"}).encode()] * count
        made = []
        for _ in range(count):
            day, slot = divmod(next_slot[0], scheduling.SLOTS_A_DAY)
            next_slot[0] += 1
            start = first + timedelta(days=40 + day, hours=9, minutes=scheduling.SLOT_MINUTES * slot)
            made.append(json.dumps({"doctor": doctor, "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                    "appointment_type": "Online"}).encode())
        return made

    if args.interleave:
        await _book(client, token, bodies("legacy", args.calls // 4))  # warm up
        await _interleaved(args, client, token, bodies)
        return
    for kind in ("legacy", "dated"):
        await _book(client, token, bodies(kind, args.calls // 4))  # warm up
        if args.profile == kind:
            profiler = cProfile.Profile()
            profiler.enable()
            await _book(client, token, bodies(kind, args.calls))
            profiler.disable()
            if args.dump:
                profiler.dump_stats(args.dump)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.lines)
            print(out.getvalue())
            continue
        work = bodies(kind, args.calls)
        profiler = cProfile.Profile()
        profiler.enable()
        await _book(client, token, work[: args.calls // 2])
        profiler.disable()
        calls = pstats.Stats(profiler).total_calls / (args.calls // 2)  # type: ignore[attr-defined]
        started, served = time.process_time(), request_cost._server_cpu(args.backend)
        loop_started, wall_started = time.thread_time(), time.perf_counter()
        trips_before = trips.count
        await _book(client, token, work[args.calls // 2:])
        count = args.calls - args.calls // 2
        round_trips = (trips.count - trips_before) / count
        cpu = (time.process_time() - started) / count * 1e6
        # The event loop's own thread: what a single-process server's throughput is bound by when the
        # other threads' work (the SQLite writer's COMMIT, on its thread) runs on another core.
        loop_cpu = (time.thread_time() - loop_started) / count * 1e6
        # Wall time: what the CPU figures do not show (a COMMIT's thread waiting for the GIL, fsync).
        per_second = count / (time.perf_counter() - wall_started)
        # PostgreSQL's own work (parsing, constraints, WAL) is CPU of its backends, on the same cores.
        database = (f", database {(request_cost._server_cpu(args.backend) - served) / count * 1e6:5.0f} us"
                    if args.backend != "sqlite" else "")
        trips_text = f", {round_trips:4.2f} round trips" if args.backend != "sqlite" else ""
        print(f"{kind:7} {calls:6.0f} calls, {cpu:5.0f} us CPU per booking ({loop_cpu:3.0f} on the loop's thread)"
              f"{database}{trips_text}, {per_second:5.0f} bookings/s", flush=True)


async def _interleaved(args: argparse.Namespace, client: request_cost.Client, token: str,
                       bodies: Callable[[str, int], list[bytes]]) -> None:
    """The legacy booking audited and with every audit write taken out, in one process, in slices of
    ``--interleave`` bookings in the order A B B A: on a machine shared with other work, the load's
    drift then weighs on both sides alike (bench/audit.py's method, in process). The loop thread's
    CPU of each side, and the audit's extra cost of a booking."""
    from bench.unaudited_app import _nothing
    from hospital.adapters.audit_log import BufferedAuditLog
    from hospital.adapters.sqlalchemy.audit import SqlAlchemyAuditTrail

    audited = (SqlAlchemyAuditTrail.append, SqlAlchemyAuditTrail.append_many, BufferedAuditLog.record)

    def audit(on: bool) -> None:
        methods = audited if on else (_nothing, _nothing, _nothing)
        SqlAlchemyAuditTrail.append, SqlAlchemyAuditTrail.append_many, BufferedAuditLog.record = methods  # type: ignore[method-assign, assignment]

    loop_cpu = {True: 0.0, False: 0.0}
    process_cpu = {True: 0.0, False: 0.0}
    booked = {True: 0, False: 0}
    for index in range(max(1, args.calls // (2 * args.interleave))):
        for on in ((True, False) if index % 2 == 0 else (False, True)):
            audit(on)
            loop_started, started = time.thread_time(), time.process_time()
            await _book(client, token, bodies("legacy", args.interleave))
            loop_cpu[on] += time.thread_time() - loop_started
            process_cpu[on] += time.process_time() - started
            booked[on] += args.interleave
    audit(True)
    per = {on: (loop_cpu[on] / booked[on] * 1e6, process_cpu[on] / booked[on] * 1e6) for on in (True, False)}
    print(f"legacy interleaved ({booked[True]} + {booked[False]} bookings): loop's thread {per[True][0]:4.0f} us "
          f"audited / {per[False][0]:4.0f} us unaudited = {per[True][0] / per[False][0]:.3f}; process "
          f"{per[True][1]:4.0f} / {per[False][1]:4.0f} us = {per[True][1] / per[False][1]:.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--calls", type=int, default=1600)
    parser.add_argument("--profile", default="", choices=["", "legacy", "dated"])
    parser.add_argument("--unaudited", action="store_true")
    parser.add_argument("--interleave", type=int, default=0,
                        help="audited and unaudited legacy bookings in alternating slices of this many")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--dump", type=Path, help="also write the profile's stats to this file (pstats)")
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    if args.backend == "postgresql":
        asyncio.run(run._fresh_postgres())
    env = request_cost._env(args.backend, args.dir)
    run.hospital("migrate", env=env)
    doctor, token, first = asyncio.run(scheduling._prepare(env))
    import uvloop

    uvloop.run(_finished(args, doctor, token, first))


async def _finished(args: argparse.Namespace, doctor: int, token: str, first: Any) -> None:
    await _measure(args, doctor, token, first)
    sys.stdout.flush()
    os._exit(0)  # as bench/request_cost.py: the lifespan's cancel at the loop's close can spin


if __name__ == "__main__":
    main()
