"""R4 alone, for working on the booking path: ``python -m bench.writes [--backends sqlite,postgresql]``.

The same measurement as ``make bench`` (bench/run.py) makes for R4 - the booking POST through wrk
against a bare POST that decodes the same body and answers the same bytes, in one run - on a small
catalogue, so it takes about half a minute per backend instead of four. It prints; it writes nothing.
Run it from a production install (``make bench`` builds ``.venv-bench``) for the figures to compare
with docs/benchmarks.md.
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
    BARE_PORT,
    PASSWORD,
    ROOT,
    SERVER_PORT,
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

DOCTORS, PATIENTS = 20, 20


def measure(backend: str, work: Path, base_env: dict[str, str]) -> tuple[float, float]:
    directory = work / backend
    directory.mkdir(parents=True)
    env = _server_env(base_env, database_url(backend, directory), directory)
    hospital("migrate", env=env)
    hospital("seed-demo", "--doctors", str(DOCTORS), "--patients", str(PATIENTS), "--appointments", "0",
             "--reviews", "0", "--password", PASSWORD, env=env)
    base, bare_base = f"http://127.0.0.1:{SERVER_PORT}", f"http://127.0.0.1:{BARE_PORT}"
    serve = [sys.executable, "-m", "hospital.entrypoints.cli", "serve", "--port", str(SERVER_PORT)]
    with running(serve, env, f"{base}/health/live", directory / "server.log"):
        token = _login(base, f"patient{DOCTORS + 1}")
        doctor = json.loads(request(f"{base}/doctors/2/"))
        booking = json.dumps({"doctor": 2, "appointment_type": "Online", "time": doctor["available_time"][0],
                              "symptoms": "Persistent cough"}).encode()
        answer = request(f"{base}/appointments/", method="POST", body=booking, token=token).decode()
        script = lua_script(directory, "post", method="POST", body=booking,
                            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        wrk(f"{base}/appointments/", script=script, seconds=1)
        real = wrk(f"{base}/appointments/", script=script)
    responses = directory / "responses.json"
    responses.write_text(json.dumps({"booking": answer}))
    bare_serve = [sys.executable, "-m", "bench.serve", "uvicorn", "bench.bare_app:create_app", str(BARE_PORT)]
    with running(bare_serve, {**env, "BENCH_BARE_RESPONSES": str(responses)}, f"{bare_base}/bare/booking",
                 directory / "bare.log"):
        wrk(f"{bare_base}/bare/booking", script=script, seconds=1)
        bare = wrk(f"{bare_base}/bare/booking", script=script)
    if real.errors:
        print(f"  {backend}: {real.errors} failed requests", flush=True)
    return real.rps, bare.rps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    arguments = parser.parse_args()
    ensure_wrk()
    base_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    with tempfile.TemporaryDirectory(prefix="hospital-bench-writes-") as work:
        base_env["BENCH_DIR"] = work
        for backend in arguments.backends.split(","):
            started = time.monotonic()
            real, bare = measure(backend, Path(work), base_env)
            print(f"R4 {backend}: {real:,.0f} req/s vs bare {bare:,.0f} req/s = {real / bare:.3f} "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
