"""The README's library example is examples/library.py, and it runs: against a fresh SQLite file,
from a folder of its own, with no HOSPITAL_* variables. The package is typed for its callers
(py.typed): mypy reports a caller's mistakes instead of treating hospital as Any."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[3]
EXAMPLE = REPOSITORY / "examples" / "library.py"

pytestmark = pytest.mark.slow


def _environment() -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("HOSPITAL_")}
    return {**environment, "PYTHONPATH": str(REPOSITORY / "src")}


def test_the_library_example_runs_against_a_fresh_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "fresh.sqlite3"
    result = subprocess.run([sys.executable, str(EXAMPLE), str(database)], cwd=tmp_path, env=_environment(),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "admin created the designation 'Cardiologist' (slug 'cardiologist')",
        "alice may not: You do not have permission to perform this action.",
        "alice's profile 2 belongs to alice",
        "0 doctors so far",
    ]
    assert database.exists()
    assert not (tmp_path / "hospital.sqlite3").exists()  # the settings given, not a default file here


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    caller = tmp_path / "caller.py"
    caller.write_text(source)
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(caller)],
                          cwd=tmp_path, env=_environment(), capture_output=True, text=True, timeout=300, check=False)


def test_mypy_reports_a_callers_mistakes(tmp_path: Path) -> None:
    result = _mypy(tmp_path, '''
from hospital.application.accounts import RegisterCommand
from hospital.bootstrap import actor_for, build_container


async def wrong() -> None:
    container = build_container()
    await actor_for(container, "7")
    RegisterCommand(username="a", email="b", password="c", confirm_pasword="c")
    registration = await container.register_user()(RegisterCommand("a", "b", "c", "c"))
    print(registration.user.nam)
''')
    assert result.returncode == 1, result.stdout
    assert 'Argument 2 to "actor_for" has incompatible type "str"; expected "int"' in result.stdout
    assert 'Unexpected keyword argument "confirm_pasword"' in result.stdout
    assert '"UserView" has no attribute "nam"' in result.stdout
    assert "py.typed" not in result.stdout


def test_what_a_use_case_creates_has_an_int_id_a_strict_caller_uses_directly(tmp_path: Path) -> None:
    """Every create answers a stored read model (``id: int``), so follow-up calls type-check under
    --strict with no ``assert ... is not None``; an entity built by hand (not stored) is still refused."""
    result = _mypy(tmp_path, '''
from hospital.application.accounts import CreateSuperuserCommand, RegisterCommand
from hospital.application.actor import ANONYMOUS
from hospital.application.appointments import Booking
from hospital.application.available_times import AvailableTimeChanges
from hospital.application.contacts import ContactChanges
from hospital.application.doctors import DoctorChanges
from hospital.application.medical_services import MedicalServiceChanges
from hospital.application.patients import PatientChanges
from hospital.application.profiles import ProfileChanges
from hospital.application.reviews import ReviewDraft
from hospital.application.taxonomy import TaxonChanges
from hospital.bootstrap import Container, actor_for
from hospital.domain.taxonomy import Designation


async def follow_ups(container: Container) -> None:
    boss = await actor_for(container, (await container.create_superuser()(CreateSuperuserCommand(
        username="boss", email="boss@example.com", password="Tr1cky-horse-battery"))).id)
    registration = await container.register_user()(RegisterCommand("ann", "ann@example.com", "pw", "pw"))
    ann = await actor_for(container, registration.user.id)
    designation = await container.create_designation()(boss, TaxonChanges(name="Surgeon"))
    specialisation = await container.create_specialisation()(boss, TaxonChanges(name="Cardiology"))
    time = await container.create_available_time()(boss, AvailableTimeChanges(time="Mon 9-10"))
    doctor = await container.create_doctor()(boss, DoctorChanges(
        designation=(designation.id,), specialisation=(specialisation.id,), available_time=(time.id,), fee=1))
    booked = await container.book_appointment()(ann, Booking(
        doctor=doctor.id, time=time.id, appointment_type="Online"))
    await container.get_appointment()(ann, booked.id)
    review = await container.create_review()(ann, ReviewDraft(doctor=doctor.id, body="Kind.", rating=5))
    await container.get_review()(ann, review.id)
    contact = await container.submit_contact()(ANONYMOUS, ContactChanges(name="Ann", phone="123", massage="Hi"))
    await container.get_contact()(boss, contact.id)
    service = await container.create_medical_service()(boss, MedicalServiceChanges(name="X-ray", description="."))
    await container.get_medical_service()(boss, service.id)
    profile = await container.get_my_profile()(ann)
    await container.update_profile()(ann, profile.id, ProfileChanges(bio="Hello"))
    await actor_for(container, profile.user.id)
    patient = await container.update_patient()(ann, 1, PatientChanges(phone="123"))
    await container.get_patient()(ann, patient.id)
    await container.get_designation()(boss, Designation.create(name="Not stored").id)
''')
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout
    # The one refusal is the entity built by hand: its id is None until a repository stores it.
    assert 'of "GetTaxon" has incompatible type "int | None"; expected "int"' in errors[0], result.stdout
