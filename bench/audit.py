"""What the audit trail costs (issue 14), as ratios measured in one run:

- A1, A2: reads with their audit events batched (``HOSPITAL_AUDIT_READS=batched``, the default)
  against the same server with read auditing off: goal >= 0.85.
- A3: a booking with its audit event (written in the booking's transaction) against the same server
  with every audit write taken out (bench/unaudited_app.py): an extra cost of at most 15%, so a
  ratio of at least 1 / 1.15.

How (the method matters more than the code on a shared machine, where the load moves by the second):
the two servers a figure compares run **at the same time**, on one database (``SERVER_PORT`` and
``BARE_PORT``), and are measured in **interleaved slices** of ``BENCH_AUDIT_SLICE_SECONDS`` (2 s) of
wrk each, in the order A B B A (the next round B A A B), so that a drift of the machine's load, or the
tables' growth (the bookings', the audit log's), weighs on both sides alike. A pause
(``PAUSE_SECONDS``) after each slice lets the batched server's writer store the last events of its
slice (at most 100 ms of them) before the other side is measured: their write is counted on neither
side, a bias in the audit's favour of at most one interval in a slice (5% of the audit's write cost
at 2 s). Each round's ratio pools its slices (requests over seconds, per side); the figure is the
round with the median ratio (``BENCH_AUDIT_ROUNDS``, 3), the other rounds' ratios noted. Both sides
do the same work but the auditing: same data, same tokens, same requests, the same warm-up.

Before (until December 2026) each round started the three servers one after the other and ran 5 s
of each load on each: the batched and the unaudited servers were measured 15-25 s apart, after each
other's bookings, and single rounds ranged 0.4-1.1 on the loaded machine.

Called by ``make bench`` (bench/run.py) for each database, after its other figures; on its own,
``python -m bench.audit [--backends sqlite,postgresql]`` seeds a smaller database and prints them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.interleaving import Side, interleaved, median_round
from bench.run import (
    BARE_PORT,
    PASSWORD,
    ROOT,
    SERVER_PORT,
    Figure,
    Load,
    _login,
    _server_env,
    database_url,
    ensure_wrk,
    hospital,
    lua_script,
    request,
    running,
    wrk,
)

READ_GOAL = 0.85
CHANGE_GOAL = 1 / 1.15
# BENCH_AUDIT_ROUNDS: rounds of A B B A slices per figure (the median round's ratio is kept).
ROUNDS = int(os.environ.get("BENCH_AUDIT_ROUNDS", "3"))
SLICE_SECONDS = int(os.environ.get("BENCH_AUDIT_SLICE_SECONDS", "2"))
PAUSE_SECONDS = 0.3  # three of the batched writer's 100 ms intervals


def _figure(name: str, rounds: list[dict[str, Side]], which: tuple[str, str], goal: float,
            what: tuple[str, str]) -> Figure:
    """The round whose ratio is the median (its rates are the figure's), the others' ratios noted."""
    measured, baseline = which
    ratio, middle, ratios = median_round(rounds, measured, baseline)
    errors = sum(r[side].errors for r in rounds for side in which)
    notes = [f"{errors} failed requests"] if errors else []
    if len(ratios) > 1:
        notes.append("median of rounds " + ", ".join(f"{value:.2f}" for value in ratios))
    return Figure(name, f"{middle[measured].rps:,.0f} req/s {what[0]}", f"{middle[baseline].rps:,.0f} req/s {what[1]}",
                  ratio, f">= {goal:.2f}", ratio >= goal and not errors, "; ".join(notes))


def audit_figures(env: dict[str, str], directory: Path, *, doctor_user: int, patient_user: int) -> list[Figure]:
    """The three figures, on a migrated and seeded database (``env``); each server started here."""
    ports = {"batched": SERVER_PORT, "off": BARE_PORT, "unaudited": BARE_PORT}
    bases = {mode: f"http://127.0.0.1:{port}" for mode, port in ports.items()}
    serve = {mode: [sys.executable, "-m", "hospital.entrypoints.cli", "serve", "--port", str(port)]
             for mode, port in ports.items()}
    serve["unaudited"] = [sys.executable, "-m", "bench.serve", "uvicorn", "bench.unaudited_app:create_app",
                          str(ports["unaudited"])]
    log = directory / "audit-server.log"

    def server(mode: str) -> contextlib.AbstractContextManager[object]:
        return running(serve[mode], {**env, "HOSPITAL_AUDIT_READS": "off" if mode == "off" else "batched"},
                       f"{bases[mode]}/health/live", log)

    base = bases["batched"]
    with server("batched"):
        doctor_token, patient_token = _login(base, f"doctor{doctor_user}"), _login(base, f"patient{patient_user}")
        patient_id = json.loads(request(f"{base}/patients/", token=patient_token))["results"][0]["id"]
        doctor2 = json.loads(request(f"{base}/doctors/2/"))
        booking = json.dumps({"doctor": 2, "appointment_type": "Online", "time": doctor2["available_time"][0],
                              "symptoms": "Persistent cough"}).encode()
    reads = {"appointments": ("/appointments/?limits=10", doctor_token),
             "patient": (f"/patients/{patient_id}/", patient_token)}
    post = lua_script(directory, "audit-post", method="POST", body=booking,
                      headers={"Content-Type": "application/json", "Authorization": f"Bearer {patient_token}"})

    def read(mode: str, path: str, token: str, seconds: int = SLICE_SECONDS) -> Callable[[], Load]:
        return lambda: wrk(bases[mode] + path, headers={"Authorization": f"Bearer {token}"}, seconds=seconds)

    def book(mode: str, seconds: int = SLICE_SECONDS) -> Callable[[], Load]:
        return lambda: wrk(f"{bases[mode]}/appointments/", script=post, seconds=seconds)

    rounds = max(1, ROUNDS)
    with server("batched"), server("off"):
        for mode in ("batched", "off"):  # the same warm-up on both: every statement prepared, caches full
            for path, token in reads.values():
                read(mode, path, token, seconds=1)()
        measured = {name: interleaved({mode: read(mode, path, token) for mode in ("batched", "off")}, rounds,
                                         slice_seconds=SLICE_SECONDS, pause=PAUSE_SECONDS)
                    for name, (path, token) in reads.items()}
    with server("batched"), server("unaudited"):
        for mode in ("batched", "unaudited"):
            book(mode, seconds=1)()
        bookings = interleaved({mode: book(mode) for mode in ("batched", "unaudited")}, rounds,
                               slice_seconds=SLICE_SECONDS, pause=PAUSE_SECONDS)
    return [
        _figure("A1 GET /appointments/?limits=10, reads audited (batched) vs not", measured["appointments"],
                ("batched", "off"), READ_GOAL, ("batched", "off")),
        _figure("A2 GET /patients/{id}/, reads audited (batched) vs not", measured["patient"],
                ("batched", "off"), READ_GOAL, ("batched", "off")),
        _figure("A3 POST /appointments/ with its audit event vs none", bookings,
                ("batched", "unaudited"), CHANGE_GOAL, ("audited", "unaudited")),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite")
    args = parser.parse_args()
    ensure_wrk()
    base_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    with tempfile.TemporaryDirectory(prefix="hospital-audit-bench-") as work:
        base_env["BENCH_DIR"] = work
        for backend in args.backends.split(","):
            directory = Path(work) / backend
            directory.mkdir()
            env = _server_env(base_env, database_url(backend, directory), directory)
            started = time.monotonic()
            hospital("migrate", env=env)
            hospital("seed-demo", "--doctors", "50", "--patients", "200", "--appointments", "2000", "--reviews", "0",
                     "--password", PASSWORD, env=env)
            print(f"{backend}: seeded in {time.monotonic() - started:.0f}s", flush=True)
            for figure in audit_figures(env, directory, doctor_user=1, patient_user=51):
                met = "yes" if figure.met else "NO"
                print(f"{backend}: {figure.name}: {figure.measured} / {figure.baseline} = {figure.ratio:.2f} "
                      f"(goal {figure.goal}: {met}) {figure.note}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
