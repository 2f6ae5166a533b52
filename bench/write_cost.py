"""CPU and database round trips per request of the writes the bench's PATCH and POST /reviews/ rows
measure, in process as ``bench/request_cost.py`` measures reads (same app, same seed, same raw ASGI
calls, ``CONCURRENCY`` in flight):

    BENCH_POSTGRES_DATABASE=bench_x python -m bench.request_cost prepare --backend postgresql --dir /tmp/x
    BENCH_POSTGRES_DATABASE=bench_x python -m bench.write_cost --backend postgresql --dir /tmp/x [--python-calls]

On PostgreSQL a request's round trips are what a writer of a row holds its lock across (``FOR
UPDATE`` at the load): every asyncpg call that waits for the server is counted (BEGIN, each
statement, the COMMIT with what rides on it), divided by the requests. POST /reviews/ writes a
review per call, each of a (patient, doctor) pair that has none yet, found before measuring.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench import run
from bench.request_cost import ADMIN, CONCURRENCY, PATIENT, Client, _app

REVIEWERS = 20  # patients whose unreviewed doctors POST /reviews/ cycles through
_ASYNCPG_CALLS = ("execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare")
_PREPARED_CALLS = ("fetch", "fetchrow", "fetchval", "executemany", "explain")


class RoundTrips:
    """Counts the asyncpg calls that wait for the server (none of them calls another of them)."""

    def __init__(self) -> None:
        self.count = 0

    def install(self) -> None:
        try:
            import asyncpg
            from asyncpg.prepared_stmt import PreparedStatement
        except ImportError:
            return
        for owner, names in ((asyncpg.Connection, _ASYNCPG_CALLS), (PreparedStatement, _PREPARED_CALLS)):
            for name in names:
                setattr(owner, name, self._counted(getattr(owner, name)))

    def _counted(self, method: Any) -> Any:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await method(*args, **kwargs)

        return counted


async def _writes(client: Client) -> list[tuple[str, str, str, Any, str]]:
    async def login(username: str) -> str:
        return (await client.json("POST", "/api/user/login/", body={"username": username,
                                                                     "password": run.PASSWORD}))["access"]

    admin, patient = await login(ADMIN), await login(PATIENT)
    patient_id = (await client.json("GET", "/patients/?limits=1", patient))["results"][0]["id"]
    profile = (await client.json("GET", "/api/user/profiles/me/", patient))["id"]
    reviewed = (await client.json("GET", f"/reviews/?reviewer={patient_id}&limits=1"))["results"]
    review = reviewed[0]["id"] if reviewed else (await client.json("POST", "/reviews/", patient, {
        "doctor": 3, "body": "Kind and clear.", "rating": 5}))["id"]
    return [
        ("update_doctor", "PATCH", "/doctors/2/", {"fee": 600}, admin),
        ("update_patient", "PATCH", f"/patients/{patient_id}/", {"phone": "01712345670"}, patient),
        ("update_review", "PATCH", f"/reviews/{review}/", {"body": "Kind and very clear."}, patient),
        ("update_profile", "PATCH", f"/api/user/profiles/{profile}/", {"bio": "Bench bio"}, patient),
    ]


async def _review_pairs(client: Client) -> list[tuple[str, int]]:
    """(token, doctor id) of pairs with no review yet, patients interleaved."""
    doctors = [d["id"] for d in (await client.json("GET", "/doctors/?limits=1000"))["results"]]
    per_patient = []
    for number in range(REVIEWERS):
        username = f"patient{run.DOCTORS + 2 + number}"
        token = (await client.json("POST", "/api/user/login/", body={"username": username,
                                                                      "password": run.PASSWORD}))["access"]
        patient_id = (await client.json("GET", "/patients/?limits=1", token))["results"][0]["id"]
        done = {r["doctor"] for r in (await client.json("GET", f"/reviews/?reviewer={patient_id}&limits=1000"))[
            "results"]}
        per_patient.append([(token, doctor) for doctor in doctors if doctor not in done])
    return [pair for group in zip(*per_patient, strict=False) for pair in group]


async def _calls(client: Client, requests: list[tuple[str, str, bytes, str]]) -> None:
    async def worker(share: list[tuple[str, str, bytes, str]]) -> None:
        for method, target, body, token in share:
            status, _, answer = await client.call(method, target, token, body)
            if status >= 400:
                raise RuntimeError(f"{method} {target}: {status} {answer[:300]!r}")

    await asyncio.gather(*(worker(requests[i::CONCURRENCY]) for i in range(CONCURRENCY)))


async def _measure(args: argparse.Namespace) -> None:
    trips = RoundTrips()
    trips.install()
    client = Client(_app(args.backend, args.dir))
    await client.start()
    writes = await _writes(client)
    pairs = await _review_pairs(client)
    import json

    def batch(name: str, count: int) -> list[tuple[str, str, bytes, str]]:
        if name == "create_review":
            taken = [pairs.pop() for _ in range(count)]
            return [("POST", "/reviews/", json.dumps({"doctor": doctor, "body": "Kind and clear.", "rating": 5})
                     .encode(), token) for token, doctor in taken]
        _, method, target, body, token = next(w for w in writes if w[0] == name)
        return [(method, target, json.dumps(body).encode(), token)] * count

    names = [w[0] for w in writes] + ["create_review"]
    chosen = [n for n in names if not args.endpoints or n in args.endpoints.split(",")]
    results: dict[str, list[float]] = {name: [] for name in chosen}
    trips_of: dict[str, list[float]] = {name: [] for name in chosen}
    for name in chosen:  # warm up
        await _calls(client, batch(name, args.calls // 4))
    if args.python_calls:
        # Python function calls per request (cProfile's count): what the machine's load does not move.
        for name in chosen:
            requests = batch(name, args.calls)
            profiler = cProfile.Profile()
            profiler.enable()
            await _calls(client, requests)
            profiler.disable()
            total = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
            print(f"{name:16} {total / args.calls:6.0f} calls", flush=True)
        return
    for _ in range(args.rounds):
        for name in chosen:
            requests = batch(name, args.calls)
            before = trips.count
            started = time.process_time()
            await _calls(client, requests)
            results[name].append((time.process_time() - started) / args.calls * 1e6)
            trips_of[name].append((trips.count - before) / args.calls)
    for name in chosen:
        rounds = ", ".join(f"{value:.0f}" for value in results[name])
        print(f"{name:16} {statistics.median(trips_of[name]):4.2f} round trips, min {min(results[name]):5.0f} us, "
              f"median {statistics.median(results[name]):5.0f} us ({rounds})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="postgresql", choices=["sqlite", "postgresql"])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--calls", type=int, default=800)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--endpoints", default="", help="comma-separated names")
    parser.add_argument("--python-calls", action="store_true", help="Python calls per request instead of CPU")
    args = parser.parse_args()
    import uvloop

    uvloop.run(_finished(args))


async def _finished(args: argparse.Namespace) -> None:
    await _measure(args)
    sys.stdout.flush()
    os._exit(0)  # as request_cost.py: the app's lifespan task is not waited for


if __name__ == "__main__":
    main()
