"""CPU per audited read on its own, the whole ``batched`` path: what bench/audit_cpu.py's ratio holds
among a request's ~90 us, measured without the request around it, so old and new code compare to
a microsecond on a shared machine.

``auditing.read`` (the entry built from the actor and the request context, ``BufferedAuditLog.record``)
by 16 concurrent callers, each read inside its own ``calling_from`` as a request's, then the log's
batches (lanes, sealing, rows, the INSERTs and COMMIT, on SQLite's writer thread or PostgreSQL),
flushed at the end of each block of ``BENCH_AUDIT_READ_CALLS`` (4,000) reads: the process's CPU per
read (``time.process_time``, threads included) less that of the same loop with no read (the request
context and the callers' turns), and the database's backends' CPU per read (PostgreSQL). Medians of
``BENCH_AUDIT_READ_BLOCKS`` (9).

``--patients N`` (1): with more than one, each call is a list call's ``auditing.search`` naming N
patients (A1's page of ten appointments: ``--patients 10``), so each event has N patient links.

``PYTHONPATH=<checkout>/src python -m bench.audit_read_cost [--backends sqlite,postgresql] [--patients N]``: the code
measured is whatever PYTHONPATH names first (unlike audit_cpu.py, which puts its own checkout's first),
so two checkouts run back to back from one (``BENCH_POSTGRES_DATABASE`` names PostgreSQL's database).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from bench.audit_cpu import _backends, database_cpu
from bench.run import _server_env, database_url, hospital

CALLERS = 16
CALLS = int(os.environ.get("BENCH_AUDIT_READ_CALLS", "4000"))
BLOCKS = int(os.environ.get("BENCH_AUDIT_READ_BLOCKS", "9"))


async def measure(backend: str, patients: int) -> None:
    import hospital as package
    from hospital.application import auditing
    from hospital.application.request_context import calling_from
    from hospital.bootstrap import build_container, shutdown
    from hospital.domain.actors import Actor
    from hospital.domain.audit import RequestContext, ResourceType
    from hospital.settings import Settings

    os.environ["HOSPITAL_AUDIT_READS"] = "batched"
    container = build_container(Settings.from_env())
    log = container.audit_log()
    actor = Actor(user_id=252, patient_id=51)
    listed = list(range(51, 51 + patients))

    async def caller(calls: int, read: bool) -> None:
        for _ in range(calls):
            # A request's context: its own id, as the HTTP layer makes one per request.
            with calling_from(RequestContext("127.0.0.1", secrets.token_urlsafe(16), "wrk/4.2")):
                if read and patients == 1:
                    await auditing.read(log, actor, ResourceType.PATIENT, 51, 51)
                elif read:
                    await auditing.search(log, actor, ResourceType.APPOINTMENT, listed, {"limits": 10})
            await asyncio.sleep(0)  # the other callers' turn, as requests interleave

    async def block(read: bool) -> float:
        started = time.process_time()
        await asyncio.gather(*(caller(CALLS // CALLERS, read) for _ in range(CALLERS)))
        await log.flush()
        return (time.process_time() - started) / CALLS * 1e6

    try:
        await block(read=True)  # warm-up: lanes, prepared statements, pages
        pids = await _backends(os.environ["HOSPITAL_DATABASE_URL"])
        bare, worker, server = [], [], []
        for _ in range(BLOCKS):
            bare.append(await block(read=False))
            before = database_cpu(pids)
            worker.append(await block(read=True))
            server.append((database_cpu(pids) - before) / CALLS * 1e6)
        where = Path(package.__file__).parents[2]
        print(f"{where} {backend}, {patients} patient(s): "
              f"worker {statistics.median(worker) - statistics.median(bare):.1f} us, "
              f"database {statistics.median(server):.1f} us per audited read "
              f"(worker blocks {', '.join(f'{value:.1f}' for value in sorted(worker))}; "
              f"without the read {statistics.median(bare):.1f})", flush=True)
    finally:
        await shutdown(container)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--patients", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hospital-audit-read-") as work:
        for backend in args.backends.split(","):
            directory = Path(work) / backend
            directory.mkdir()
            env = _server_env({**os.environ, "BENCH_DIR": work}, database_url(backend, directory), directory)
            hospital("migrate", env=env)
            os.environ.update({**env, "HOSPITAL_LOG_LEVEL": "WARNING"})
            asyncio.run(measure(backend, args.patients))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
