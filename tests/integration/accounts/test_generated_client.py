"""A client generated from /schema/openapi.json by openapi-python-client imports, is typed, and
works against the running server: register, log in, list doctors, book an appointment.

The generator is pinned in the dev extras; it runs from this environment (as a client's build
would), on the document the server serves.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.support.actors import PASSWORD
from tests.support.server_process import ServerProcess, run_hospital, server_environment, start_server

pytestmark = pytest.mark.slow

PACKAGE = "hospital_api_client"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("generated-client")
    environment = server_environment(workdir, f"sqlite+aiosqlite:///{workdir / 'hospital.sqlite3'}")
    for arguments in (["migrate"], ["seed-demo", "--doctors", "2", "--patients", "0", "--appointments", "0",
                                    "--reviews", "0"]):
        done = run_hospital(environment, *arguments, cwd=workdir)
        assert done.returncode == 0, done.stderr
    server = start_server(workdir, environment, name="generated-client")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def client_package(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    document.write_bytes(httpx.get(f"{server.url}/schema/openapi.json", timeout=30).content)
    generator = Path(sys.executable).with_name("openapi-python-client")
    generated = subprocess.run([str(generator), "generate", "--path", str(document), "--meta", "none",
                                "--output-path", str(folder / PACKAGE)],
                               capture_output=True, text=True, timeout=300, check=False, cwd=folder)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_every_generated_module_imports(client_package: ModuleType) -> None:
    api = importlib.import_module(f"{PACKAGE}.api")
    modules = [path.with_suffix("").relative_to(Path(api.__file__).parent)
               for path in Path(api.__file__).parent.rglob("*.py") if path.name != "__init__.py"]
    assert len(modules) == 76  # 65, scheduling's nine and the audit trail's two lists
    for module in modules:
        importlib.import_module(f"{PACKAGE}.api.{'.'.join(module.parts)}")
    models = importlib.import_module(f"{PACKAGE}.models")
    # Named components, not one model per operation and media type: fewer models than operations.
    assert len(models.__all__) < len(modules)


def test_register_log_in_list_doctors_and_book_with_the_generated_client(server: ServerProcess,
                                                                         client_package: ModuleType) -> None:
    register = importlib.import_module(f"{PACKAGE}.api.authentication.register")
    login = importlib.import_module(f"{PACKAGE}.api.authentication.login")
    list_doctors = importlib.import_module(f"{PACKAGE}.api.doctors.list_doctors")
    book_appointment = importlib.import_module(f"{PACKAGE}.api.appointments.book_appointment")
    models = importlib.import_module(f"{PACKAGE}.models")
    anonymous = client_package.Client(base_url=server.url, raise_on_unexpected_status=True)

    registered = register.sync(client=anonymous, body=models.RegisterRequest(
        username="generated", email="generated@example.com", password=PASSWORD, confirm_password=PASSWORD))
    assert isinstance(registered, models.RegistrationOut) and registered.user.username == "generated"
    tokens = login.sync(client=anonymous, body=models.LoginRequest(username="generated", password=PASSWORD))
    assert isinstance(tokens, models.TokenPairOut)

    patient = client_package.AuthenticatedClient(base_url=server.url, token=tokens.access,
                                                  raise_on_unexpected_status=True)
    doctors = list_doctors.sync(client=patient, page=1, limits=10)
    assert isinstance(doctors, models.PaginatedDoctorOut) and doctors.count == 2
    doctor = doctors.results[0]
    assert isinstance(doctor.id, int) and doctor.available_time

    booked = book_appointment.sync(client=patient, body=models.AppointmentCreate(
        doctor=doctor.id, time=doctor.available_time[0],
        appointment_type=models.AppointmentCreateAppointmentType.ONLINE, symptoms="A cough"))
    assert isinstance(booked, models.AppointmentOut)
    assert booked.appointment_type is models.AppointmentType.ONLINE
    assert booked.appointment_status is models.AppointmentStatus.PENDDING

    refused = book_appointment.sync_detailed(client=patient, body=models.AppointmentCreate(
        doctor=doctor.id, time=10**6, appointment_type=models.AppointmentCreateAppointmentType.OFFLINE))
    assert refused.status_code == 400
    assert isinstance(refused.parsed, models.FieldErrors) and "time" in refused.parsed.additional_properties
