"""What batched read auditing costs in CPU per request, measured in process: the figure bench/audit.py's
wrk ratios cannot give on a shared machine (bench/findings.md, "Audited reads on PostgreSQL").

Two production-built apps (``create_app(build_container(settings))``, production settings) in one
process and one event loop, one with ``HOSPITAL_AUDIT_READS=batched`` and one with ``off``, on the same
seeded database, are called with raw ASGI requests by ``BENCH_AUDIT_CPU_CALLERS`` (16) concurrent
callers, in blocks of ``BENCH_AUDIT_CPU_CALLS`` (1,200) calls, the two apps' blocks alternated (A B,
then B A) ``BENCH_AUDIT_CPU_BLOCKS`` (8) times each. Each batched block ends with its log's flush, so
its events' writing is counted in it. Per block: the process's CPU time (``time.process_time``) and,
on PostgreSQL, its backends' (``/proc/<pid>/stat`` of this database's connections), per call; the
medians are printed, and the CPU ratio (off over batched, worker and database together): what a
machine that runs out of cores would see.

``python -m bench.audit_cpu [--backends sqlite,postgresql] [--reads A1,A2]`` seeds a database as
bench/audit.py does (``BENCH_POSTGRES_DATABASE`` names PostgreSQL's).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.request_cost import Client
from bench.run import PASSWORD, ROOT, _server_env, database_url, hospital

CALLERS = int(os.environ.get("BENCH_AUDIT_CPU_CALLERS", "16"))
CALLS = int(os.environ.get("BENCH_AUDIT_CPU_CALLS", "1200"))
BLOCKS = int(os.environ.get("BENCH_AUDIT_CPU_BLOCKS", "8"))
MODES = ("batched", "off")


def database_cpu(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a connection closed meanwhile
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


async def _backends(url: str) -> list[int]:
    if not url.startswith("postgresql"):
        return []
    import asyncpg

    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        name = url.rsplit("/", 1)[1]
        return [row[0] for row in await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name)]
    finally:
        await connection.close()


async def measure(url: str, reads: list[str]) -> None:
    from hospital.bootstrap import build_container, shutdown
    from hospital.entrypoints.http.app import create_app
    from hospital.settings import Settings

    clients, containers = {}, {}
    for mode in MODES:
        os.environ["HOSPITAL_AUDIT_READS"] = mode
        containers[mode] = build_container(Settings.from_env())
        clients[mode] = Client(create_app(containers[mode]))
    client = clients["batched"]
    tokens = {}
    for user in ("doctor1", "patient51"):
        answer = await client.json("POST", "/api/user/login/", body={"username": user, "password": PASSWORD})
        tokens[user] = answer["access"]
    patient = (await client.json("GET", "/patients/", tokens["patient51"]))["results"][0]["id"]
    paths = {"A1": ("/appointments/?limits=10", tokens["doctor1"]),
             "A2": (f"/patients/{patient}/", tokens["patient51"])}

    async def block(mode: str, path: str, token: str, calls: int) -> None:
        async def caller() -> None:
            for _ in range(calls // CALLERS):
                status, _, _ = await clients[mode].call("GET", path, token)
                if status != 200:
                    raise RuntimeError(f"{path}: {status}")
        await asyncio.gather(*(caller() for _ in range(CALLERS)))
        await containers[mode].audit_log().flush()

    try:
        for name in reads:
            path, token = paths[name]
            for mode in MODES:
                await block(mode, path, token, CALLS // 4)  # the same warm-up on both
            pids = await _backends(url)  # the pools' connections, open by now
            worker: dict[str, list[float]] = {mode: [] for mode in MODES}
            server: dict[str, list[float]] = {mode: [] for mode in MODES}
            for number in range(BLOCKS):
                for mode in MODES if number % 2 == 0 else MODES[::-1]:
                    database, process = database_cpu(pids), time.process_time()
                    await block(mode, path, token, CALLS)
                    worker[mode].append((time.process_time() - process) / CALLS * 1e6)
                    server[mode].append((database_cpu(pids) - database) / CALLS * 1e6)
            median = {mode: (statistics.median(worker[mode]), statistics.median(server[mode])) for mode in MODES}
            for mode in MODES:
                print(f"{name} {path} {mode}: worker {median[mode][0]:.0f} us, database {median[mode][1]:.0f} us "
                      f"per call (blocks: {', '.join(f'{value:.0f}' for value in sorted(worker[mode]))})", flush=True)
            ratio = sum(median["off"]) / sum(median["batched"])
            print(f"{name}: CPU ratio off / batched = {ratio:.2f} (goal >= 0.85)", flush=True)
    finally:
        for mode in MODES:
            await shutdown(containers[mode])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgresql")
    parser.add_argument("--reads", default="A1,A2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hospital-audit-cpu-") as work:
        base_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), "BENCH_DIR": work}
        for backend in args.backends.split(","):
            directory = Path(work) / backend
            directory.mkdir()
            env = _server_env(base_env, database_url(backend, directory), directory)
            hospital("migrate", env=env)
            hospital("seed-demo", "--doctors", "50", "--patients", "200", "--appointments", "2000", "--reviews", "0",
                     "--password", PASSWORD, env=env)
            os.environ.update({**env, "HOSPITAL_LOG_LEVEL": "WARNING"})
            sys.path[:0] = [str(ROOT / "src")]
            asyncio.run(measure(env["HOSPITAL_DATABASE_URL"], args.reads.split(",")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
