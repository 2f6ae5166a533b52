"""Every documented GET (response cache off) and every create/update endpoint that can be repeated,
each against the bare endpoint answering the same bytes, in the same run (issue 12).

``measure(backend, env, directory)`` runs on a database ``bench/run.py`` has migrated and seeded: it
adds an administrator, a service, a contact request, a booking and a review, serves the service
with ``HOSPITAL_RESPONSE_CACHE_BYTES=0``, captures each endpoint's real answer, drives each with wrk,
then does the same against the bare app. Registration and login are argon2-bound: they are reported
against the rate at which one thread hashes with the service's parameters (the server hashes on one
thread per worker). POST /reviews/ cycles over (patient, doctor) pairs never reviewed (one review
per pair). POST /patients/ and /doctors/ are one per account (registration already makes the
patient): their write path is the one their PATCHes measure. Alone, on a fresh SQLite database:

    python -m bench.endpoints [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import struct
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from bench import run

SECONDS = int(os.environ.get("BENCH_ENDPOINT_SECONDS", "3"))
# A comma-separated subset of the endpoints' names, to measure only those (empty: all).
ONLY = {name for name in os.environ.get("BENCH_ENDPOINTS", "").split(",") if name}
UPDATE_CONNECTIONS = 4  # several PATCHes of one row at once also measure the version retries
ADMIN = "benchadmin"
GET_GOALS = {"sqlite": 0.25, "postgresql": 0.20}
WRITE_GOALS = {"sqlite": 0.15, "postgresql": 0.12}
# The doctor lists' own goals with the cache off.
LIST_GOALS = {"doctors100": 0.15, "doctors1000": 0.05}
SCHEMAS = "hospital.entrypoints.http.schemas"
REVIEWERS = 20  # patients whose (patient, doctor) pairs POST /reviews/ cycles through: 20 x 999 new reviews,
# more than 5 s of wrk at 3,000 req/s (5 ran out at 1,790 req/s: the 400s of repeated pairs were "failed")
# The patient the appointment reads are made as: the issue measured a patient with 30 appointments.
# patient{DOCTORS + 1} is the one R4, A3 and the fixtures book as, thousands of times by the end of
# a run, so its page's exact total counts thousands of rows (kept as an informational row).
LIST_PATIENT, LIST_APPOINTMENTS = "benchlistpatient", 30


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    who: str | None = None  # whose token: "admin", "patient", or anonymous
    body: dict | None = None
    schema: str | None = None  # the struct the bare endpoint decodes the body into
    unique: bool = False  # the body's "%d"s get a fresh number per request (unique names)

    @property
    def reads(self) -> bool:
        return self.method == "GET"


def _png() -> bytes:
    """A 1x1 white PNG, for the service's image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
            + chunk(b"IEND", b""))


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = "benchboundary7f3a"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _call(base: str, method: str, path: str, token: str | None, body: dict | None = None) -> dict | list:
    data = None if body is None else json.dumps(body).encode()
    return json.loads(run.request(base + path, method=method, body=data, token=token) or b"null")


def _fixtures(base: str, env: dict[str, str]) -> tuple[dict[str, str], dict[str, int]]:
    """Tokens and the ids the item endpoints read and change."""
    import urllib.request

    tokens = {"admin": run._login(base, ADMIN), "patient": run._login(base, f"patient{run.DOCTORS + 1}")}
    body, content_type = _multipart({"name": "X-ray", "description": "Chest X-ray"}, {"image": ("x.png", _png(),
                                                                                                "image/png")})
    call = urllib.request.Request(f"{base}/services/", data=body, method="POST", headers={
        "Content-Type": content_type, "Authorization": f"Bearer {tokens['admin']}"})
    with urllib.request.urlopen(call, timeout=30) as response:
        service = json.loads(response.read())["id"]
    contact = _call(base, "POST", "/contacts/", None, {"name": "Ann", "phone": "01712345678", "massage": "Hi"})["id"]
    doctor = _call(base, "GET", "/doctors/2/", None)
    appointment = _call(base, "POST", "/appointments/", tokens["patient"], {
        "doctor": 2, "appointment_type": "Online", "time": doctor["available_time"][0], "symptoms": "cough"})["id"]
    patient = _call(base, "GET", "/patients/?limits=1", tokens["patient"])["results"][0]["id"]
    profile = _call(base, "GET", "/api/user/profiles/me/", tokens["patient"])["id"]
    reviewed = _call(base, "GET", f"/reviews/?reviewer={patient}&limits=1", None)["results"]
    review = reviewed[0]["id"] if reviewed else _call(base, "POST", "/reviews/", tokens["patient"], {
        "doctor": 3, "body": "Kind and clear.", "rating": 5})["id"]
    tokens["lister"], listed = _list_patient(base, doctor["available_time"][0])
    ids = {"service": service, "contact": contact, "appointment": appointment, "patient": patient,
           "profile": profile, "review": review, "time": doctor["available_time"][0], "listed": listed}
    return tokens, ids


def _list_patient(base: str, time_id: int) -> tuple[str, int]:
    """LIST_PATIENT's token and one of its appointments, registered and booked LIST_APPOINTMENTS times
    here (no other phase books as this patient)."""
    try:
        token = run._login(base, LIST_PATIENT)
    except Exception:
        _call(base, "POST", "/api/user/register/", None, {
            "username": LIST_PATIENT, "email": f"{LIST_PATIENT}@example.org", "password": run.PASSWORD,
            "confirm_password": run.PASSWORD})
        token = run._login(base, LIST_PATIENT)
    mine = _call(base, "GET", "/appointments/?limits=1", token)
    for _ in range(LIST_APPOINTMENTS - mine["count"]):
        _call(base, "POST", "/appointments/", token, {
            "doctor": 2, "appointment_type": "Online", "time": time_id, "symptoms": "cough"})
    return token, _call(base, "GET", "/appointments/?limits=1", token)["results"][0]["id"]


def endpoints(ids: dict[str, int]) -> list[Endpoint]:
    e = Endpoint
    return [
        e("doctors10", "GET", "/doctors/?limits=10"),
        e("doctors100", "GET", "/doctors/?limits=100"),
        e("doctors1000", "GET", "/doctors/?limits=1000"),
        e("doctor", "GET", "/doctors/2/"),
        e("appointments", "GET", "/appointments/?limits=10", "lister"),
        e("appointment", "GET", f"/appointments/{ids['listed']}/", "lister"),
        e("appointments_heavy", "GET", "/appointments/?limits=10", "patient"),  # no goal: see LIST_PATIENT
        e("patients", "GET", "/patients/?limits=10", "admin"),
        e("patient", "GET", f"/patients/{ids['patient']}/", "patient"),
        e("reviews", "GET", "/reviews/?limits=10"),
        e("review", "GET", f"/reviews/{ids['review']}/"),
        e("designations", "GET", "/designations/"),
        e("designation", "GET", "/designations/1/"),
        e("specialisations", "GET", "/specialisations/"),
        e("specialisation", "GET", "/specialisations/1/"),
        e("times", "GET", "/available-time/"),
        e("time", "GET", f"/available-time/{ids['time']}/"),
        e("services", "GET", "/services/"),
        e("service", "GET", f"/services/{ids['service']}/"),
        e("contacts", "GET", "/contacts/", "admin"),
        e("contact", "GET", f"/contacts/{ids['contact']}/", "admin"),
        e("profiles", "GET", "/api/user/profiles/?limits=10", "admin"),
        e("profile_me", "GET", "/api/user/profiles/me/", "patient"),
        e("profile", "GET", f"/api/user/profiles/{ids['profile']}/", "patient"),
        # writes that a client can repeat
        e("create_contact", "POST", "/contacts/", None, {"name": "Ann", "phone": "01712345678", "massage": "Hi"},
          f"{SCHEMAS}.contacts:ContactWrite"),
        e("create_time", "POST", "/available-time/", "admin", {"time": "Bench slot"},
          f"{SCHEMAS}.available_times:AvailableTimeWrite"),
        e("create_designation", "POST", "/designations/", "admin", {"name": "Bench %d"},
          f"{SCHEMAS}.taxonomy:TaxonWrite", unique=True),
        e("create_specialisation", "POST", "/specialisations/", "admin", {"name": "Bench %d"},
          f"{SCHEMAS}.taxonomy:TaxonWrite", unique=True),
        e("create_review", "POST", "/reviews/", "reviewers", {"doctor": 0, "body": "Kind and clear.", "rating": 5},
          f"{SCHEMAS}.reviews:ReviewWrite"),
        e("update_designation", "PATCH", "/designations/1/", "admin", {"name": "Consultant"},
          f"{SCHEMAS}.taxonomy:TaxonWrite"),
        e("update_specialisation", "PATCH", "/specialisations/1/", "admin", {"name": "Cardiology"},
          f"{SCHEMAS}.taxonomy:TaxonWrite"),
        e("update_time", "PUT", f"/available-time/{ids['time']}/", "admin", {"time": "08:00 - 09:00"},
          f"{SCHEMAS}.available_times:AvailableTimeWrite"),
        e("update_doctor", "PATCH", "/doctors/2/", "admin", {"fee": 600}, f"{SCHEMAS}.doctors:DoctorWrite"),
        e("update_appointment", "PATCH", f"/appointments/{ids['appointment']}/", "patient",
          {"symptoms": "a dry cough"}, f"{SCHEMAS}.appointments:AppointmentPatch"),
        e("update_patient", "PATCH", f"/patients/{ids['patient']}/", "patient", {"phone": "01712345670"},
          f"{SCHEMAS}.patients:PatientWrite"),
        e("update_review", "PATCH", f"/reviews/{ids['review']}/", "patient", {"body": "Kind and very clear."},
          f"{SCHEMAS}.reviews:ReviewPatch"),
        e("update_profile", "PATCH", f"/api/user/profiles/{ids['profile']}/", "patient", {"bio": "Bench bio"},
          f"{SCHEMAS}.accounts:ProfileWrite"),
        e("update_service", "PATCH", f"/services/{ids['service']}/", "admin", {"description": "Chest X-ray, 2 views"},
          f"{SCHEMAS}.medical_services:MedicalServiceWrite"),
        e("update_contact", "PATCH", f"/contacts/{ids['contact']}/", "admin", {"massage": "Call me back"},
          f"{SCHEMAS}.contacts:ContactWrite"),
    ]


def _reviewers(base: str) -> tuple[list[str], list[int]]:
    """Tokens of REVIEWERS patients, and the doctors none of them has reviewed yet."""
    tokens, reviewed = [], set()
    for n in range(REVIEWERS):
        token = run._login(base, f"patient{run.DOCTORS + 2 + n}")
        patient = _call(base, "GET", "/patients/?limits=1", token)["results"][0]["id"]
        reviews = _call(base, "GET", f"/reviews/?reviewer={patient}&limits=1000", None)["results"]
        reviewed |= {review["doctor"] for review in reviews}
        tokens.append(token)
    doctors = _call(base, "GET", f"/doctors/?limits={run.DOCTORS}", None)["results"]
    return tokens, [doctor["id"] for doctor in doctors if doctor["id"] not in reviewed]


def _review_script(directory: Path, endpoint: Endpoint, tokens: list[str], doctors: list[int]) -> Path:
    """Each request the next (patient, doctor) pair: every review a new one, as a clinic's reviews are.
    The first doctor is left out: the captured answer reviewed it."""
    body = json.dumps({**(endpoint.body or {}), "doctor": 999999}).replace("999999", "%d")
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"',
             "local tokens = {" + ", ".join(json.dumps(token) for token in tokens) + "}",
             "local doctors = {" + ", ".join(str(doctor) for doctor in doctors[1:]) + "}",
             "local counter = 0",
             "request = function()",
             '  wrk.headers["Authorization"] = "Bearer " .. tokens[counter % #tokens + 1]',
             "  local doctor = doctors[math.floor(counter / #tokens) % #doctors + 1]",
             "  counter = counter + 1",
             f"  return wrk.format(nil, nil, nil, string.format({json.dumps(body)}, doctor))",
             "end"]
    path = directory / f"{endpoint.name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def _argon2_rate(seconds: float) -> float:
    """Hashes a second on one thread with the service's parameters: what bounds registration and login
    (the server hashes on one thread per worker, HOSPITAL_PASSWORD_HASH_CONCURRENCY=1)."""
    import argon2

    from hospital.adapters.security import argon2_hasher as service

    hasher = argon2.PasswordHasher(time_cost=service.OWASP_TIME_COST, memory_cost=service.OWASP_MEMORY_COST_KIB,
                                   parallelism=service.OWASP_PARALLELISM, type=argon2.Type.ID)
    count, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        hasher.hash(run.PASSWORD)
        count += 1
    return count / (time.monotonic() - started)


def _argon2_bound(base: str, directory: Path) -> list[run.Figure]:
    """Registration and login against the argon2 hash rate (not against a bare endpoint)."""
    register = Endpoint("register", "POST", "/api/user/register/", None, {
        "username": "bench%d", "email": "bench%d@example.org", "password": run.PASSWORD,
        "confirm_password": run.PASSWORD}, unique=True)
    login = Endpoint("login", "POST", "/api/user/login/", None,
                     {"username": f"patient{run.DOCTORS + 2 + REVIEWERS}", "password": run.PASSWORD})
    loads = {e.name: run.wrk(base + e.path, seconds=SECONDS, connections=4, script=_script(directory, e, None))
             for e in (register, login)}
    rate = _argon2_rate(SECONDS)
    figures = []
    for e in (register, login):
        load = loads[e.name]
        figures.append(run.Figure(f"{e.method} {e.path} (argon2-bound)", f"{load.rps:,.1f} req/s",
                                  f"{rate:,.1f} hashes/s on one thread", load.rps / rate, "", True,
                                  f"{load.errors} failed requests" if load.errors else "", informational=True))
    return figures


def _script(directory: Path, endpoint: Endpoint, token: str | None) -> Path:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    lines = [f'wrk.method = "{endpoint.method}"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    body = json.dumps(endpoint.body)
    if endpoint.unique:
        # A fresh value per request (unique slugs): a counter per wrk thread, and a random start.
        counters = ", ".join(["counter"] * body.count("%d"))
        lines += ["math.randomseed(os.time())", "local counter = math.random(1, 1000000000)",
                  "request = function()", "  counter = counter + 1",
                  f"  return wrk.format(nil, nil, nil, string.format({json.dumps(body)}, {counters}))", "end"]
    else:
        lines.append(f"wrk.body = {json.dumps(body)}")
    path = directory / f"{endpoint.name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def _load(url: str, endpoint: Endpoint, token: str | None, directory: Path, reviewers: tuple[list[str], list[int]],
          ) -> run.Load:
    if endpoint.reads:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return run.wrk(url, seconds=SECONDS, headers=headers)
    connections = run.CONNECTIONS if endpoint.method == "POST" else UPDATE_CONNECTIONS
    script = (_review_script(directory, endpoint, *reviewers) if endpoint.who == "reviewers"
              else _script(directory, endpoint, token))
    return run.wrk(url, seconds=SECONDS, connections=connections, script=script)


def _audit_settled(url: str, *, quiet: float = 0.5, limit: float = 60.0) -> None:
    """Returns once the service's audit log has stopped growing (or after ``limit`` seconds).

    Read events are batched: a figure's events are written after its requests, for seconds after
    them when it read faster than the log writes (bench/findings.md, sqlitewrites), and the next
    figure would pay for them (POST /contacts/ measured 0.05 so). Each figure starts on a settled log."""
    if url.startswith("sqlite"):
        import sqlite3

        def count() -> int:
            with contextlib.closing(sqlite3.connect(url.split("///", 1)[1])) as connection:
                return connection.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    else:
        import asyncio

        import asyncpg

        async def fetch() -> int:
            connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"), timeout=5)
            try:
                return await connection.fetchval("SELECT count(*) FROM audit_events")
            finally:
                await connection.close()

        def count() -> int:
            return asyncio.run(fetch())
    deadline, last = time.monotonic() + limit, -1
    while time.monotonic() < deadline:
        now = count()
        if now == last:
            return
        last = now
        time.sleep(quiet)


def _capture(base: str, endpoint: Endpoint, token: str | None, reviewers: tuple[list[str], list[int]]) -> str:
    body = endpoint.body
    if endpoint.who == "reviewers":  # the first reviewer's review of the first free doctor
        token, body = reviewers[0][0], {**(body or {}), "doctor": reviewers[1][0]}
    data = None if body is None else json.dumps(body).encode()
    if data is not None and endpoint.unique:
        data = data.replace(b"%d", b"0")
    return run.request(base + endpoint.path, method=endpoint.method, body=data, token=token).decode()


def measure(backend: str, env: dict[str, str], directory: Path) -> list[run.Figure]:
    run.hospital("createsuperuser", "--username", ADMIN, "--email", "admin@example.org", "--password", run.PASSWORD,
                 env=env)
    base, bare_base = f"http://127.0.0.1:{run.SERVER_PORT}", f"http://127.0.0.1:{run.BARE_PORT}"
    serve = [sys.executable, "-m", "hospital.entrypoints.cli", "serve", "--port", str(run.SERVER_PORT)]
    uncached = {**env, "HOSPITAL_RESPONSE_CACHE_BYTES": "0"}
    with run.running(serve, uncached, f"{base}/health/live", directory / "endpoints.log"):
        tokens, ids = _fixtures(base, env)
        reviewers = _reviewers(base)
        chosen = [e for e in endpoints(ids) if not ONLY or e.name in ONLY]
        captured = {e.name: _capture(base, e, tokens.get(e.who or ""), reviewers) for e in chosen}
        captured["ready"] = run.request(f"{base}/doctors/?limits=10").decode()  # the bare app's warm-up
        run.wrk(f"{base}/doctors/?limits=10", seconds=1)
        real = {}
        for e in chosen:
            _audit_settled(env["HOSPITAL_DATABASE_URL"])
            real[e.name] = _load(base + e.path, e, tokens.get(e.who or ""), directory, reviewers)
        argon2_bound = _argon2_bound(base, directory) if not ONLY or "argon2" in ONLY else []
    responses, structs = directory / "endpoint-responses.json", directory / "endpoint-structs.json"
    responses.write_text(json.dumps(captured))
    structs.write_text(json.dumps({e.name: e.schema for e in chosen if e.schema}))
    bare_env = {**env, "BENCH_BARE_RESPONSES": str(responses), "BENCH_BARE_STRUCTS": str(structs)}
    bare_serve = [sys.executable, "-m", "bench.serve", "uvicorn", "bench.bare_app:create_app", str(run.BARE_PORT)]
    with run.running(bare_serve, bare_env, f"{bare_base}/bare/ready", directory / "endpoints-bare.log"):
        run.wrk(f"{bare_base}/bare/ready", seconds=1)
        bare = {e.name: _load(f"{bare_base}/bare/{e.name}", e, None, directory, reviewers) for e in chosen}
    figures = []
    for e in chosen:
        goal = (LIST_GOALS.get(e.name) or GET_GOALS[backend]) if e.reads else WRITE_GOALS[backend]
        label = f"{e.method} {e.path}" + (" (cache off)" if e.reads else "")
        figure = run._throughput(label, real[e.name], bare[e.name], goal)
        if e.name == "appointments_heavy":
            figure = run.Figure(f"{label}, as the patient R4 and A3 book as (no goal)", figure.measured,
                                figure.baseline, figure.ratio, "", True, figure.note, informational=True)
        figures.append(figure)
    return figures + argon2_bound


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite")
    args = parser.parse_args()
    run.ensure_wrk()
    base_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(run.ROOT / "src"), str(run.ROOT)])}
    with tempfile.TemporaryDirectory(prefix="hospital-bench-") as work:
        base_env["BENCH_DIR"] = work
        for backend in args.backends.split(","):
            started = time.monotonic()
            directory = Path(work) / backend
            directory.mkdir(parents=True)
            env = run._server_env(base_env, run.database_url(backend, directory), directory)
            run.hospital("migrate", env=env)
            run.hospital("seed-demo", "--doctors", str(run.DOCTORS), "--patients", str(run.PATIENTS),
                         "--appointments", "0", "--reviews", str(run.REVIEWS), "--password", run.PASSWORD, env=env)
            figures = measure(backend, env, directory)
            print(f"\n## {backend} ({time.monotonic() - started:.0f}s)\n")
            print("| figure | measured | baseline | ratio | goal | met |\n| --- | --- | --- | --- | --- | --- |")
            for f in figures:
                met = "yes" if f.met else f"**no**{' (' + f.note + ')' if f.note else ''}"
                print(f"| {f.name} | {f.measured} | {f.baseline} | {f.ratio:.2f} | {f.goal} | {met} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
