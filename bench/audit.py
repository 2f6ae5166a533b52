"""What the audit trail costs (issue 14), as ratios measured in one run:

- A1, A2: reads with their audit events batched (``HOSPITAL_AUDIT_READS=batched``, the default)
  against the same server with read auditing off: goal >= 0.85.
- A3: a booking with its audit event (written in the booking's transaction) against the same server
  with every audit write taken out (bench/unaudited_app.py): an extra cost of at most 15%, so a
  ratio of at least 1 / 1.15.

Called by ``make bench`` (bench/run.py) for each database, after its other figures; on its own,
``python -m bench.audit [--backends sqlite,postgresql]`` seeds a smaller database and prints them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.run import (
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
# BENCH_AUDIT_ROUNDS: how many times the three servers are measured in turn (the median ratio is kept).
ROUNDS = int(os.environ.get("BENCH_AUDIT_ROUNDS", "1"))
CHANGE_GOAL = 1 / 1.15


def _ratio(name: str, measured: Load, baseline: Load, goal: float, what: tuple[str, str]) -> Figure:
    ratio = measured.rps / baseline.rps
    errors = measured.errors + baseline.errors
    return Figure(name, f"{measured.rps:,.0f} req/s {what[0]}", f"{baseline.rps:,.0f} req/s {what[1]}", ratio,
                  f">= {goal:.2f}", ratio >= goal and not errors, f"{errors} failed requests" if errors else "")


def audit_figures(env: dict[str, str], directory: Path, *, doctor_user: int, patient_user: int) -> list[Figure]:
    """The three figures, on a migrated and seeded database (``env``); each server started here."""
    base = f"http://127.0.0.1:{SERVER_PORT}"
    serve = [sys.executable, "-m", "hospital.entrypoints.cli", "serve", "--port", str(SERVER_PORT)]
    unaudited = [sys.executable, "-m", "bench.serve", "uvicorn", "bench.unaudited_app:create_app", str(SERVER_PORT)]
    log = directory / "audit-server.log"
    with running(serve, env, f"{base}/health/live", log):
        doctor_token, patient_token = _login(base, f"doctor{doctor_user}"), _login(base, f"patient{patient_user}")
        patient_id = json.loads(request(f"{base}/patients/", token=patient_token))["results"][0]["id"]
        doctor2 = json.loads(request(f"{base}/doctors/2/"))
        booking = json.dumps({"doctor": 2, "appointment_type": "Online", "time": doctor2["available_time"][0],
                              "symptoms": "Persistent cough"}).encode()
    reads = {"appointments": ("/appointments/?limits=10", doctor_token),
             "patient": (f"/patients/{patient_id}/", patient_token)}
    post = lua_script(directory, "audit-post", method="POST", body=booking,
                      headers={"Content-Type": "application/json", "Authorization": f"Bearer {patient_token}"})
    rounds: list[dict[str, dict[str, Load]]] = []
    servers = [("batched", serve), ("off", serve), ("unaudited", unaudited)]
    for number in range(max(1, ROUNDS)):
        # Each round runs the three servers one after the other: on a shared machine the load moves
        # between them, so several rounds are compared round by round (every other one in the
        # opposite order, so a drift favours neither side) and the median ratio is kept.
        measured: dict[str, dict[str, Load]] = {}
        for mode, command in servers if number % 2 == 0 else servers[::-1]:
            with running(command, {**env, "HOSPITAL_AUDIT_READS": "off" if mode == "off" else "batched"},
                         f"{base}/health/live", log):
                wrk(f"{base}{reads['appointments'][0]}", headers={"Authorization": f"Bearer {doctor_token}"},
                    seconds=1)
                measured[mode] = {name: wrk(base + path, headers={"Authorization": f"Bearer {token}"})
                                  for name, (path, token) in reads.items()}
                if mode != "off":
                    measured[mode]["booking"] = wrk(f"{base}/appointments/", script=post)
        rounds.append(measured)
    return [
        _median_ratio("A1 GET /appointments/?limits=10, reads audited (batched) vs not", rounds,
                      ("batched", "off", "appointments"), READ_GOAL),
        _median_ratio("A2 GET /patients/{id}/, reads audited (batched) vs not", rounds,
                      ("batched", "off", "patient"), READ_GOAL),
        _median_ratio("A3 POST /appointments/ with its audit event vs none", rounds,
                      ("batched", "unaudited", "booking"), CHANGE_GOAL, ("audited", "unaudited")),
    ]


def _median_ratio(name: str, rounds: list[dict[str, dict[str, Load]]], which: tuple[str, str, str], goal: float,
                  what: tuple[str, str] = ("batched", "off")) -> Figure:
    """The round whose ratio is the median (its loads are the figure's), the others' ratios noted."""
    measured, baseline, load = which
    figures = sorted((_ratio(name, r[measured][load], r[baseline][load], goal, what) for r in rounds),
                     key=lambda figure: figure.ratio)
    middle = figures[len(figures) // 2]
    if len(figures) > 1:
        ratios = ", ".join(f"{figure.ratio:.2f}" for figure in figures)
        middle.note = "; ".join(part for part in (middle.note, f"median of rounds {ratios}") if part)
    return middle


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
