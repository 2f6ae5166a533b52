"""`make bench`: the service against the physical limit of its own serving stack, on SQLite and PostgreSQL.

For each database: migrate and seed (``hospital seed-demo``), start ``hospital serve`` as production
runs it, capture the real responses, start a bare app on the same server that answers those bytes
from memory (bench/bare_app.py), then drive both with wrk on loopback and report each figure as a
ratio to its baseline. Everything is bounded: ``BENCH_SECONDS`` per wrk run (default 5),
``BENCH_CONNECTIONS`` connections (default 16). Writes docs/benchmarks.md.

    python -m bench.run [--backends sqlite,postgres] [--output docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
POSTGRES_DATABASE = os.environ.get("BENCH_POSTGRES_DATABASE", "hospital_perf_bench")
PASSWORD = "bench-password-1"
DOCTORS, PATIENTS, REVIEWS = 1000, 2000, 2000
BIG_TABLE = 1_000_000
SMALL_TABLE = 1_000
BENCH_DOCTOR = 1  # owns the 1,000 appointments the R3 list reads, in the small and the big table


def _free_ports(count: int) -> list[int]:
    """Ports nothing listens on now, all different (held open together while the system picks)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


# BENCH_SERVER_PORT / BENCH_BARE_PORT fix them; else free ones, so that two benches on one machine
# (each helper's) never measure each other's server.
_DEFAULT_PORTS = _free_ports(2)
SERVER_PORT = int(os.environ.get("BENCH_SERVER_PORT") or _DEFAULT_PORTS[0])
BARE_PORT = int(os.environ.get("BENCH_BARE_PORT") or _DEFAULT_PORTS[1])


# ---------------------------------------------------------------- wrk

@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("bench: installing wrk (Debian package)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)


def wrk_command(url: str, *, seconds: int, connections: int, script: Path | None = None,
                headers: dict[str, str] | None = None) -> list[str]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    return [*command, url]


def parse_wrk(output: str) -> Load:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(n) for n in match.groups())
    return Load(rps, p50, p99, errors, requests)


def wrk(url: str, *, seconds: int = SECONDS, connections: int = CONNECTIONS, script: Path | None = None,
        headers: dict[str, str] | None = None) -> Load:
    command = wrk_command(url, seconds=seconds, connections=connections, script=script, headers=headers)
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30)
    return parse_wrk(result.stdout)


def lua_script(directory: Path, name: str, *, method: str, body: bytes, headers: dict[str, str]) -> Path:
    path = directory / f"{name}.lua"
    lines = [f'wrk.method = "{method}"', f"wrk.body = {json.dumps(body.decode())}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- processes

def hospital(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-m", "hospital.entrypoints.cli", *args], env=env, cwd=env["BENCH_DIR"],
                            capture_output=True, text=True, timeout=300)
    if result.returncode:
        raise RuntimeError(f"hospital {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


# Importing the service takes 3-4 s of CPU; on a machine shared with other work it has taken 30 s.
def wait_ready(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no answer from {url} within {timeout}s")


def refuse_busy_port(url: str) -> None:
    """Another server already answering there would be measured instead of ours."""
    host, port = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)
    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex((host, int(port))) == 0:
            raise RuntimeError(f"something already listens on {host}:{port}; stop it first")


@contextmanager
def running(command: list[str], env: dict[str, str], ready_url: str, log: Path):
    refuse_busy_port(ready_url)
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=env, cwd=env["BENCH_DIR"], stdout=output, stderr=output)
    try:
        wait_ready(ready_url, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def request(url: str, *, method: str = "GET", body: bytes | None = None, token: str | None = None) -> bytes:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    call = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(call, timeout=30) as response:
        return response.read()


# ---------------------------------------------------------------- databases

async def _fresh_postgres() -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{POSTGRES_DATABASE}"')
    finally:
        await connection.close()


def database_url(backend: str, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{directory / 'bench.sqlite3'}"
    asyncio.run(_fresh_postgres())
    host = POSTGRES_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+asyncpg://{host}/{POSTGRES_DATABASE}"


EXPLAINED = {
    "appointments of a doctor, a page": "SELECT id FROM appointments WHERE doctor_id = 1 ORDER BY id LIMIT 100",
    "appointments of a doctor, count": "SELECT count(*) FROM appointments WHERE doctor_id = 1",
    "appointments of a patient, a page": "SELECT id FROM appointments WHERE patient_id = 1500 ORDER BY id LIMIT 100",
    "reviews of a doctor": "SELECT id FROM reviews WHERE doctor_id = 1 ORDER BY id LIMIT 100",
    "reviews by a reviewer": "SELECT id FROM reviews WHERE reviewer_id = 1500 ORDER BY id LIMIT 100",
    "doctors with a specialisation": (
        "SELECT id FROM doctors WHERE id IN (SELECT doctor_id FROM doctor_specialisations "
        "WHERE specialisation_id = 1) ORDER BY id LIMIT 10"
    ),
}


async def _explain(url: str) -> dict[str, str]:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"), timeout=5)
    try:
        plans = {}
        for name, sql in EXPLAINED.items():
            rows = await connection.fetch(f"EXPLAIN {sql}")
            plans[name] = "\n".join(row[0] for row in rows)
        return plans
    finally:
        await connection.close()


# ---------------------------------------------------------------- one backend

@dataclass
class Figure:
    name: str
    measured: str
    baseline: str
    ratio: float
    goal: str
    met: bool
    note: str = ""
    informational: bool = False  # no goal: shown to explain the others


@dataclass
class BackendResult:
    backend: str
    figures: list[Figure] = field(default_factory=list)
    servers: dict[str, dict[str, float]] = field(default_factory=dict)
    plans: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _throughput(name: str, real: Load, bare: Load, goal: float) -> Figure:
    ratio = real.rps / bare.rps
    note = f"{real.errors} failed requests" if real.errors else ""
    return Figure(name, f"{real.rps:,.0f} req/s", f"{bare.rps:,.0f} req/s", ratio, f">= {goal:.2f}",
                  ratio >= goal and not real.errors, note)


def _server_env(base: dict[str, str], url: str, directory: Path) -> dict[str, str]:
    unlimited = "100000000/second"  # the limiter still runs on every request; it just never refuses
    return {
        **base, "HOSPITAL_ENV": "production", "HOSPITAL_DATABASE_URL": url,
        "HOSPITAL_SECRET_KEY": secrets.token_urlsafe(48), "HOSPITAL_MEDIA_ROOT": str(directory / "media"),
        "HOSPITAL_RATE_LIMIT_AUTH": unlimited, "HOSPITAL_RATE_LIMIT_ANON": unlimited,
        "HOSPITAL_RATE_LIMIT_USER": unlimited, "HOSPITAL_LOG_LEVEL": "INFO",
    }


def _login(base: str, username: str) -> str:
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    return json.loads(request(f"{base}/api/user/login/", method="POST", body=body))["access"]


def run_backend(backend: str, work: Path, base_env: dict[str, str], servers: list[str]) -> BackendResult:
    result = BackendResult(backend)
    directory = work / backend
    directory.mkdir(parents=True)
    url = database_url(backend, directory)
    env = _server_env(base_env, url, directory)
    started = time.monotonic()
    hospital("migrate", env=env)
    print(" ", hospital("seed-demo", "--doctors", str(DOCTORS), "--patients", str(PATIENTS), "--appointments", "0",
                        "--reviews", str(REVIEWS), "--password", PASSWORD, env=env), flush=True)
    hospital("seed-demo", "--doctors", "0", "--patients", "0", "--appointments", "0", "--reviews", "0",
             "--bulk-appointments", str(SMALL_TABLE), "--bulk-doctor", str(BENCH_DOCTOR), env=env)
    print(f"  seeded in {time.monotonic() - started:.0f}s", flush=True)

    base, bare_base = f"http://127.0.0.1:{SERVER_PORT}", f"http://127.0.0.1:{BARE_PORT}"
    serve = [sys.executable, "-m", "hospital.entrypoints.cli", "serve", "--port", str(SERVER_PORT)]
    log = directory / "server.log"
    with running(serve, env, f"{base}/health/live", log) as server:
        doctor_token = _login(base, f"doctor{BENCH_DOCTOR}")
        patient_user = DOCTORS + 1  # the first seeded patient account
        patient_token = _login(base, f"patient{patient_user}")
        doctor2 = json.loads(request(f"{base}/doctors/2/"))
        booking = json.dumps({"doctor": 2, "appointment_type": "Online", "time": doctor2["available_time"][0],
                              "symptoms": "Persistent cough"}).encode()
        lists = {f"doctors{n}": f"/doctors/?limits={n}" for n in (10, 100, 1000)}
        captured = {name: request(base + path).decode() for name, path in lists.items()}
        appointments_path = f"/appointments/?doctor_id={BENCH_DOCTOR}&limits=100"
        captured["appointments"] = request(base + appointments_path, token=doctor_token).decode()
        captured["booking"] = request(f"{base}/appointments/", method="POST", body=booking,
                                      token=patient_token).decode()
        responses = directory / "responses.json"
        responses.write_text(json.dumps(captured))
        bare_env = {**env, "BENCH_BARE_RESPONSES": str(responses)}
        auth = {"Authorization": f"Bearer {doctor_token}"}
        post_headers = {"Content-Type": "application/json", "Authorization": f"Bearer {patient_token}"}
        post_script = lua_script(directory, "post", method="POST", body=booking, headers=post_headers)
        login_body = json.dumps({"username": f"patient{patient_user + 1}", "password": PASSWORD}).encode()
        login_script = lua_script(directory, "login", method="POST", body=login_body,
                                  headers={"Content-Type": "application/json"})

        wrk(f"{base}/doctors/?limits=10", seconds=1)  # warm up: first connections, caches, plans
        real = {name: wrk(base + path) for name, path in lists.items()}
        real_post = wrk(f"{base}/appointments/", script=post_script)

        # R5: the same list while four clients log in as fast as the server lets them.
        quiet = wrk(f"{base}/doctors/?limits=10")
        login_load = subprocess.Popen(
            wrk_command(f"{base}/api/user/login/", seconds=SECONDS + 2, connections=4, script=login_script),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        time.sleep(1)
        busy = wrk(f"{base}/doctors/?limits=10")
        logins = parse_wrk(login_load.communicate(timeout=SECONDS + 30)[0])

        # R3: a doctor's page of 100 with 1,000 appointments in the table, then with a million.
        wrk(base + appointments_path, headers=auth, seconds=1, connections=4)  # warm up, as for the big table
        small = wrk(base + appointments_path, headers=auth, connections=4)
        rss = peak_rss_mb(server.pid)
    # The same lists with the response cache switched off: what a page costs when it is made.
    with running(serve, {**env, "HOSPITAL_RESPONSE_CACHE_BYTES": "0"}, f"{base}/health/live", log):
        wrk(f"{base}/doctors/?limits=10", seconds=1)
        uncached = {name: wrk(base + path) for name, path in lists.items()}
    # The audit trail's cost (bench/audit.py): reads audited vs not, a booking with its event vs none.
    from bench.audit import audit_figures

    audit = audit_figures(env, directory, doctor_user=BENCH_DOCTOR, patient_user=patient_user)
    print(f"  real server done ({time.monotonic() - started:.0f}s)", flush=True)

    bulk_started = time.monotonic()
    hospital("seed-demo", "--doctors", "0", "--patients", "0", "--appointments", "0", "--reviews", "0",
             "--bulk-appointments", str(BIG_TABLE - SMALL_TABLE), "--bulk-skip-doctor", str(BENCH_DOCTOR), env=env)
    print(f"  {BIG_TABLE:,} appointments in {time.monotonic() - bulk_started:.0f}s", flush=True)
    with running(serve, env, f"{base}/health/live", log) as server:
        doctor_token = _login(base, f"doctor{BENCH_DOCTOR}")
        wrk(base + appointments_path, headers={"Authorization": f"Bearer {doctor_token}"}, seconds=1,
            connections=4)
        big = wrk(base + appointments_path, headers={"Authorization": f"Bearer {doctor_token}"}, connections=4)
        rss = max(rss, peak_rss_mb(server.pid))
    if backend == "postgresql":
        result.plans = asyncio.run(_explain(url))

    bare_serve = [sys.executable, "-m", "bench.serve", "uvicorn", "bench.bare_app:create_app", str(BARE_PORT)]
    with running(bare_serve, bare_env, f"{bare_base}/bare/doctors10", directory / "bare.log"):
        wrk(f"{bare_base}/bare/doctors10", seconds=1)
        bare = {name: wrk(f"{bare_base}/bare/{name}") for name in lists}
        bare_post = wrk(f"{bare_base}/bare/booking", script=post_script)

    result.figures += [
        _throughput("R1 GET /doctors/?limits=10", real["doctors10"], bare["doctors10"], 0.30),
        _throughput("R2 GET /doctors/?limits=100", real["doctors100"], bare["doctors100"], 0.25),
        _throughput("R2 GET /doctors/?limits=1000", real["doctors1000"], bare["doctors1000"], 0.15),
    ]
    for name, path in lists.items():
        figure = _throughput(f"GET {path} without the response cache", uncached[name], bare[name], 0)
        result.figures.append(Figure(figure.name, figure.measured, figure.baseline, figure.ratio, "",
                                     True, figure.note, informational=True))
    ratio = big.p50_ms / small.p50_ms
    result.figures.append(Figure(
        "R3 GET /appointments/?doctor_id=X&limits=100, p50", f"{big.p50_ms:.2f} ms with {BIG_TABLE:,} rows",
        f"{small.p50_ms:.2f} ms with {SMALL_TABLE:,} rows", ratio, "<= 1.5", ratio <= 1.5 and not big.errors,
        f"{big.errors} failed requests" if big.errors else "",
    ))
    result.figures.append(_throughput("R4 POST /appointments/", real_post, bare_post, 0.20))
    ratio = busy.p99_ms / quiet.p99_ms
    result.figures.append(Figure(
        "R5 list p99 during 4 clients' logins", f"{busy.p99_ms:.2f} ms (logins: {logins.rps:.0f}/s)",
        f"{quiet.p99_ms:.2f} ms without logins", ratio, "<= 2", ratio <= 2 and not busy.errors,
        f"{logins.errors} failed logins" if logins.errors else "",
    ))
    result.figures += audit
    result.figures.append(Figure("Peak RSS of the worker", f"{rss:.0f} MB", "", rss / 120, "<= 120 MB", rss <= 120))

    # Every documented GET with the response cache off, and every repeatable create and update
    # (bench/endpoints.py), each against its own bare endpoint.
    from bench import endpoints

    result.figures += endpoints.measure(backend, env, directory)
    print(f"  endpoints done ({time.monotonic() - started:.0f}s)", flush=True)

    result.servers["uvicorn"] = {"bare": bare["doctors10"].rps, "real": real["doctors10"].rps}
    for name in servers:
        if name == "uvicorn":
            continue
        result.servers[name] = compare_server(name, env, bare_env, directory)
    # Dated scheduling (bench/scheduling.py): slots of 31 days and dated bookings, on a fresh database.
    from bench import scheduling

    for name, (real_rps, bare_rps, errors, ratios) in scheduling.measure(backend, work / "scheduling",
                                                                        base_env).items():
        ratio = real_rps / bare_rps
        goal = scheduling.GOALS[name]
        notes = [f"{errors} failed requests"] if errors else []
        notes.append("median of rounds " + ", ".join(f"{value:.3f}" for value in ratios))
        result.figures.append(Figure(name, f"{real_rps:,.0f} req/s", f"{bare_rps:,.0f} req/s", ratio, f">= {goal:.2f}",
                                     ratio >= goal and not errors, "; ".join(notes)))
    print(f"  scheduling done ({time.monotonic() - started:.0f}s)", flush=True)
    print(f"  {backend} done in {time.monotonic() - started:.0f}s", flush=True)
    return result


def compare_server(name: str, env: dict[str, str], bare_env: dict[str, str], directory: Path) -> dict[str, float]:
    """R1's two figures with another ASGI server serving the same factories."""
    base = f"http://127.0.0.1:{SERVER_PORT}"
    real_serve = [sys.executable, "-m", "bench.serve", name, "hospital.entrypoints.http.asgi:create_app",
                  str(SERVER_PORT)]
    with running(real_serve, env, f"{base}/health/live", directory / f"{name}.log"):
        wrk(f"{base}/doctors/?limits=10", seconds=1)
        real = wrk(f"{base}/doctors/?limits=10")
    bare_serve = [sys.executable, "-m", "bench.serve", name, "bench.bare_app:create_app", str(BARE_PORT)]
    bare_base = f"http://127.0.0.1:{BARE_PORT}"
    with running(bare_serve, bare_env, f"{bare_base}/bare/doctors10", directory / f"{name}-bare.log"):
        wrk(f"{bare_base}/bare/doctors10", seconds=1)
        bare = wrk(f"{bare_base}/bare/doctors10")
    return {"bare": bare.rps, "real": real.rps}


# ---------------------------------------------------------------- report

def report(results: list[BackendResult], command: str, seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run.py); do not edit by hand. Each figure is a ratio to a bare",
        "endpoint served by the same stack (Litestar on the same ASGI server, one worker) that answers the",
        "same JSON bytes from memory: the physical limit of this stack for that response.",
        "",
        f"- Command: `{command}`",
        f"- Machine: {os.cpu_count()} cores; wrk and the server share them. One server worker,",
        f"  wrk -t1 -c{CONNECTIONS} for {SECONDS}s per figure (R3: 4 connections), on 127.0.0.1.",
        f"- Data: {DOCTORS:,} doctors with designations, specialisations and times, {PATIENTS:,} patients,",
        f"  {REVIEWS:,} reviews; R3 reads doctor {BENCH_DOCTOR}'s {SMALL_TABLE:,} appointments, first alone in",
        f"  the table, then among {BIG_TABLE:,} (the rest added with one INSERT ... SELECT).",
        f"- Run took {seconds:.0f}s.",
        "",
    ]
    for result in results:
        lines += [f"## {result.backend}", ""]
        if result.errors:
            lines += [f"Not measured: {error}" for error in result.errors] + [""]
            continue
        lines += ["| figure | measured | baseline | ratio | goal | met |", "| --- | --- | --- | --- | --- | --- |"]
        for f in result.figures:
            met = "" if f.informational else "yes" if f.met else f"**no**{' (' + f.note + ')' if f.note else ''}"
            lines.append(f"| {f.name} | {f.measured} | {f.baseline} | {f.ratio:.2f} | {f.goal} | {met} |")
        lines.append("")
        if len(result.servers) > 1:
            lines += ["ASGI servers, R1 (GET /doctors/?limits=10):", "",
                      "| server | bare req/s | service req/s | ratio |", "| --- | --- | --- | --- |"]
            for name, figures in result.servers.items():
                lines.append(f"| {name} | {figures['bare']:,.0f} | {figures['real']:,.0f} | "
                             f"{figures['real'] / figures['bare']:.2f} |")
            lines.append("")
        if result.plans:
            lines += [f"Query plans with {BIG_TABLE:,} appointments (EXPLAIN):", ""]
            for name, plan in result.plans.items():
                lines += [f"- {name}:", "", "  ```", *[f"  {line}" for line in plan.splitlines()], "  ```", ""]
    findings = Path(__file__).with_name("findings.md")
    if findings.exists():
        lines += ["", findings.read_text().rstrip()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--servers", default="uvicorn", help="comma-separated; granian if installed")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    ensure_wrk()
    started = time.monotonic()
    base_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    results = []
    with tempfile.TemporaryDirectory(prefix="hospital-bench-") as work:
        base_env["BENCH_DIR"] = work
        for backend in args.backends.split(","):
            print(f"bench: {backend}", flush=True)
            try:
                results.append(run_backend(backend, Path(work), base_env, args.servers.split(",")))
            except (OSError, RuntimeError, subprocess.SubprocessError) as error:
                print(f"bench: {backend} not measured: {error}", file=sys.stderr, flush=True)
                results.append(BackendResult(backend, errors=[str(error).splitlines()[0]]))
    command = "make bench" if os.environ.get("MAKELEVEL") else "python -m bench.run " + " ".join(sys.argv[1:])
    text = report(results, command.strip(), time.monotonic() - started)
    Path(args.output).write_text(text + "\n")
    print(text)
    return 0 if all(not r.errors for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
