"""The PostgreSQL pool lease's CPU (adapters/sqlalchemy/pool_lease.py): its short ways against
asyncpg's ``acquire(timeout=...)`` and ``release`` (``pool_lease.SHORT_WAYS`` off), in one process.

    BENCH_POSTGRES_DATABASE=bench_x python -m bench.pool_lease_cost isolated
    BENCH_POSTGRES_DATABASE=bench_x python -m bench.pool_lease_cost bookings --dir /tmp/x [--kind dated] [--calls 4000]

``isolated``: acquire and release alone, the thread's CPU per lease, both ways in alternated rounds.
``bookings``: bench/booking_cost.py's bookings in slices of ``--slice``, the two ways in the order
A B B A (booking_cost's ``--interleave`` method: the machine's drift weighs on both alike), the
event loop thread's CPU per booking of each.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench import booking_cost
from hospital.adapters.sqlalchemy import pool_lease


async def _isolated(rounds: int, leases: int) -> None:
    import asyncpg

    pool = await asyncpg.create_pool(host="127.0.0.1", user="postgres",
                                     database=os.environ.get("BENCH_POSTGRES_DATABASE", "postgres"),
                                     min_size=0, max_size=10, reset=pool_lease.nothing_to_reset)
    cpu: dict[bool, list[float]] = {True: [], False: []}
    try:
        for index in range(rounds + 1):
            for short in ((True, False) if index % 2 == 0 else (False, True)):
                pool_lease.SHORT_WAYS = short
                started = time.thread_time()
                for _ in range(leases):
                    connection = await pool_lease.acquire(pool)
                    await pool_lease.release(pool, connection)
                if index:  # the first round warms up
                    cpu[short].append((time.thread_time() - started) / leases * 1e6)
    finally:
        pool_lease.SHORT_WAYS = pool_lease._short_ways_hold()
        await pool.close()
    for short, label in ((True, "short ways"), (False, "asyncpg's acquire(timeout) + release")):
        print(f"{label:38} " + " ".join(f"{value:5.1f}" for value in cpu[short]) + " us per lease")


def _bookings(args: argparse.Namespace) -> None:
    async def interleaved(_: argparse.Namespace, client: Any, token: str, bodies: Any) -> None:
        loop_cpu = {True: 0.0, False: 0.0}
        booked = {True: 0, False: 0}
        for index in range(max(1, args.calls // (2 * args.slice))):
            for short in ((True, False) if index % 2 == 0 else (False, True)):
                pool_lease.SHORT_WAYS = short
                started = time.thread_time()
                await booking_cost._book(client, token, bodies(args.kind, args.slice))
                loop_cpu[short] += time.thread_time() - started
                booked[short] += args.slice
        per = {short: loop_cpu[short] / booked[short] * 1e6 for short in (True, False)}
        print(f"{args.kind} ({booked[True]} + {booked[False]} bookings), loop thread per booking: short ways "
              f"{per[True]:.1f} us, asyncpg's acquire(timeout) + release {per[False]:.1f} us: "
              f"{per[False] - per[True]:+.1f} us", flush=True)

    booking_cost._interleaved = interleaved  # type: ignore[assignment]
    sys.argv = [sys.argv[0], "--backend", "postgresql", "--dir", str(args.dir), "--calls", str(args.calls),
                "--interleave", str(args.slice)]
    booking_cost.main()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["isolated", "bookings"])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/pool-lease-cost"))
    parser.add_argument("--kind", default="dated", choices=["dated", "legacy"])
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--slice", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.command == "isolated":
        import uvloop

        uvloop.run(_isolated(args.rounds, 5000))
    else:
        _bookings(args)


if __name__ == "__main__":
    main()
