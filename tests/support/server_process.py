"""Real `hospital serve` processes on free local ports, as a deployment runs them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET

REPOSITORY = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(workdir: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The process environment of a production server: this checkout's code, HOSPITAL_* from
    the arguments only (``rate_limit_auth="5/hour"`` sets HOSPITAL_RATE_LIMIT_AUTH)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("HOSPITAL_")}
    environment.update({
        "PYTHONPATH": str(REPOSITORY / "src"),
        "PYTHONUNBUFFERED": "1",
        "HOSPITAL_ENV": "production",
        "HOSPITAL_SECRET_KEY": TEST_SECRET,
        "HOSPITAL_DATABASE_URL": database_url,
        "HOSPITAL_MEDIA_ROOT": str(workdir / "media"),
        "HOSPITAL_RATE_LIMIT_AUTH": "100000/minute",
        "HOSPITAL_RATE_LIMIT_ANON": "100000/minute",
        "HOSPITAL_RATE_LIMIT_USER": "100000/minute",
        # docs/deployment.md: keep workers x 3 x pool size under PostgreSQL's max_connections (100 by
        # default). Four workers at the default 10 may open 120: under the four-worker tests' bursts
        # some requests met "too many clients" (503). 4 x 3 x 6 = 72, beside the test process's own.
        "HOSPITAL_DB_POOL_SIZE": "6",
    })
    environment.update({f"HOSPITAL_{name.upper()}": value for name, value in settings.items()})
    return environment


def hospital_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "hospital.entrypoints.cli", *arguments]


def run_hospital(environment: Mapping[str, str], *arguments: str, cwd: Path,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(hospital_command(*arguments), env=dict(environment), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False)


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    environment: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, number: int) -> None:
        # The whole process group: with --workers N the workers are the supervisor's children.
        os.killpg(self.process.pid, number)

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.process.wait(timeout)
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash or an out-of-memory kill would: no shutdown code runs."""
        if self.process.poll() is None:
            self.signal(signal.SIGKILL)
            self.process.wait(10)


def _launch(workdir: Path, environment: Mapping[str, str], workers: int, name: str) -> ServerProcess:
    port = free_port()
    log_path = workdir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            hospital_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
            env=dict(environment), cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return ServerProcess(process, port, log_path, dict(environment))


def _wait_until_live(server: ServerProcess, name: str, workers: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{name} exited with {server.process.returncode} while starting:\n{server.logs()}")
        # Every worker, not only the first: connections made earlier would all go to that one.
        if server.logs().count("Application startup complete") >= workers:
            try:
                if httpx.get(f"{server.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not answer within {seconds} s:\n{server.logs()}")


def start_servers(workdir: Path, *specs: tuple[str, Mapping[str, str]], workers: int = 1,
                  startup_seconds: float = STARTUP_SECONDS) -> list[ServerProcess]:
    """Start one server per (name, environment), all at once (each start costs seconds of imports;
    give more than the default to many workers on a busy machine)."""
    servers = [_launch(workdir, environment, workers, name) for name, environment in specs]
    try:
        for server, (name, _) in zip(servers, specs, strict=True):
            _wait_until_live(server, name, workers, startup_seconds)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def start_server(workdir: Path, environment: Mapping[str, str], *, workers: int = 1,
                 name: str = "server", startup_seconds: float = STARTUP_SECONDS) -> ServerProcess:
    return start_servers(workdir, (name, environment), workers=workers, startup_seconds=startup_seconds)[0]


def child_processes(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the fields after its last ')' do not.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children
