"""PostgreSQL's own CPU per dated booking statement (booking_statement.py's one statement, the
appointment and its audit event), sent by asyncpg as the service sends it, with nothing else
around it: the backends' CPU (/proc, a local server) over ``--statements`` bookings on two
connections. To size the schema's parts (drop an index or a constraint in a copy of the database
and compare) and the server's settings (``--set plan_cache_mode=force_custom_plan``).

    python -m bench.booking_statement_cpu --database bench_copy [--statements 4000] [--set name=value ...]
    python -m bench.booking_statement_cpu --database bench_copy --baseline   # SELECT $1: a round trip's own

The database must hold the schema and one dated appointment (what ``bench.booking_cost
--backend postgresql`` leaves in ``BENCH_POSTGRES_DATABASE``; copy it with ``CREATE DATABASE copy
TEMPLATE ...``, as the statements add rows): its doctor, patient and time are booked again, at
later and later starts, each with an event of a chain of this run's own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from bench import run
from bench.request_cost import backends_cpu
from hospital.adapters.sqlalchemy.appointments import _BOOKED_WITH_EVENT

CONNECTIONS = 2
WARM_UP = 200  # per connection: past the five custom plans PostgreSQL makes before a generic one


async def measure(database: str, statements: int, settings: dict[str, str], baseline: bool) -> None:
    import asyncpg

    sql, names = _BOOKED_WITH_EVENT.positions(asyncpg_dialect.dialect())
    address = run.POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    connections = [await asyncpg.connect(address, server_settings=settings) for _ in range(CONNECTIONS)]
    first = connections[0]
    booked = await first.fetchrow(
        "SELECT doctor_id, patient_id, time_id FROM appointments WHERE starts_at IS NOT NULL LIMIT 1")
    if booked is None:
        raise SystemExit(f"{database} has no dated appointment to book again (run bench.booking_cost first)")
    doctor, patient, time_id = booked
    start = (await first.fetchval("SELECT max(ends_at) FROM appointments")) + timedelta(days=1)
    version = await first.fetchval(
        "SELECT coalesce((SELECT version FROM slot_source_versions WHERE doctor_id = $1), 0)", doctor)
    chain = f"booking-statement-cpu-{os.getpid()}-{time.time_ns()}"
    made = [0]

    def values() -> list[Any]:
        made[0] += 1
        starts = start + timedelta(minutes=30 * made[0])
        given = {
            "patient_id": patient, "doctor_id": doctor, "time_id": time_id, "appointment_type": "Online",
            "status": "Pendding", "symptoms": "", "cancelled": False, "fhir_status": "booked",
            "starts_at": starts, "ends_at": starts + timedelta(minutes=30), "cancellation_reason": None,
            "cancellation_note": None, "cancelled_by": None, "cancelled_at": None, "replaces": None,
            "coalesce_1": 0, "sources_version": version, "event_id": f"{time.time_ns():016x}{made[0]:016x}",
            "event_recorded_at": datetime.now(UTC), "event_chain": chain, "event_seq": made[0],
            "event_prev_hash": "0" * 64, "event_action": "create", "event_resource_type": "appointment",
            "event_outcome": "success", "event_actor_user_id": None, "event_actor_role": "patient",
            "event_username": None, "event_filters": "[]", "event_client_address": "127.0.0.1",
            "event_request_id": "booking-statement-cpu", "event_user_agent": None,
            "hash_prefix": b"{", "hash_suffix": b"}", "event_patient_ids": [patient],
        }
        return [given[name] for name in names]

    async def book(connection: Any, count: int) -> None:
        for _ in range(count):
            if baseline:
                await connection.fetch("SELECT $1::integer", 1)
            elif not await connection.fetch(sql, *values()):
                raise SystemExit("a booking was refused: the sources' version moved meanwhile?")

    await asyncio.gather(*(book(connection, WARM_UP) for connection in connections))
    before = backends_cpu(database)
    await asyncio.gather(*(book(connection, statements // CONNECTIONS) for connection in connections))
    spent = (backends_cpu(database) - before) / (statements // CONNECTIONS * CONNECTIONS)
    plans = await first.fetchrow("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                                 "WHERE statement = $1", sql)
    what = "SELECT $1" if baseline else "booking"
    print(f"{what} {settings or ''}: backends {spent * 1e6:5.0f} us per statement"
          + ("" if plans is None else f" (plans: {plans[0]} generic, {plans[1]} custom)"), flush=True)
    for connection in connections:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=run.POSTGRES_DATABASE)
    parser.add_argument("--statements", type=int, default=4000)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a server setting for the measuring connections")
    parser.add_argument("--baseline", action="store_true", help="SELECT $1 instead of the booking")
    args = parser.parse_args()
    settings = dict(setting.split("=", 1) for setting in args.set)
    asyncio.run(measure(args.database, args.statements, settings, args.baseline))


if __name__ == "__main__":
    main()
