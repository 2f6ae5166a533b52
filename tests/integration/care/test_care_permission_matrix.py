"""The permission matrix of patients and appointments, over HTTP, against DESIGN.md §3.

Every endpoint and method is called by each of: anonymous, the owner patient, another patient,
the appointment's doctor, another doctor and an admin. The world is the same for each call: the
owner has one appointment with the doctor. Each answer's status is checked against the table
below (written from DESIGN.md §3, not from the code), and so is its effect: an allowed change is
visible afterwards, a refused one changed nothing. This is the test that shows there is no
object-level access hole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.care_http import ROLES, Party, book_over_http, http_cast

ANON, OWNER, OTHER, DOCTOR, OTHER_DOCTOR, ADMIN = ROLES


def expect(anonymous: int, owner: int, other_patient: int, doctor: int, other_doctor: int, admin: int) -> dict:
    return dict(zip(ROLES, (anonymous, owner, other_patient, doctor, other_doctor, admin), strict=True))


@dataclass(frozen=True)
class World:
    people: dict[str, Party]
    appointment: dict

    @property
    def owner(self) -> Party:
        return self.people[OWNER]


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # formatted with {patient} and {appointment}
    body: Any = None
    form: dict | None = None

    def url(self, world: World) -> str:
        return self.path.format(patient=world.owner.patient_id, appointment=world.appointment["id"])


# Status per role, from DESIGN.md §3: read what you may see, change what you own (patient details)
# or care for (appointment status), and a 404 whenever the object is none of your business.
PATIENT_ITEM = "/patients/{patient}/"
APPOINTMENT_ITEM = "/appointments/{appointment}/"
MATRIX: dict[str, tuple[Call, dict]] = {
    "patients list": (Call("GET", "/patients/"), expect(401, 200, 200, 200, 200, 200)),
    # Every registered user already has a patient record: creating another is a 400.
    "patients create": (Call("POST", "/patients/", form={"phone": "0170000"}), expect(401, 400, 400, 400, 400, 400)),
    "patient get": (Call("GET", PATIENT_ITEM), expect(401, 200, 404, 200, 404, 200)),
    "patient put": (Call("PUT", PATIENT_ITEM, form={"phone": "0171111"}), expect(401, 200, 404, 403, 404, 200)),
    "patient patch": (Call("PATCH", PATIENT_ITEM, body={"phone": "0172222"}), expect(401, 200, 404, 403, 404, 200)),
    "patient delete": (Call("DELETE", PATIENT_ITEM), expect(401, 204, 404, 403, 404, 204)),
    "appointments list": (Call("GET", "/appointments/"), expect(401, 200, 200, 200, 200, 200)),
    # Every authenticated user is a patient, so anyone may book (for themself).
    "appointments create": (Call("POST", "/appointments/", body="booking"), expect(401, 201, 201, 201, 201, 201)),
    "appointment get": (Call("GET", APPOINTMENT_ITEM), expect(401, 200, 404, 200, 404, 200)),
    "appointment put details": (Call("PUT", APPOINTMENT_ITEM, body="put details"),
                                expect(401, 200, 404, 200, 404, 200)),
    "appointment patch details": (Call("PATCH", APPOINTMENT_ITEM, body={"symptoms": "fever", "cancel": True}),
                                  expect(401, 200, 404, 200, 404, 200)),
    "appointment put status": (Call("PUT", APPOINTMENT_ITEM, body="put status"),
                               expect(401, 403, 404, 200, 404, 200)),
    "appointment patch status": (Call("PATCH", APPOINTMENT_ITEM, body={"appointment_status": "Runing"}),
                                 expect(401, 403, 404, 200, 404, 200)),
    "appointment delete": (Call("DELETE", APPOINTMENT_ITEM), expect(401, 204, 404, 403, 404, 204)),
}


def body_for(call: Call, world: World, caller: Party) -> Any:
    doctor = world.people[DOCTOR]
    full = {"doctor": doctor.doctor_id, "time": doctor.times[0], "appointment_type": "Online", "symptoms": "cough",
            "cancel": False}
    if call.body == "booking":
        # Each caller books the doctor; the doctor books the other doctor (no one books themself).
        other = world.people[OTHER_DOCTOR] if caller.name == DOCTOR else doctor
        return {"doctor": other.doctor_id, "time": other.times[1], "appointment_type": "Offline"}
    if call.body == "put details":
        return {**full, "time": doctor.times[2], "symptoms": "fever", "appointment_type": "Offline"}
    if call.body == "put status":
        return {**full, "appointment_status": "Running"}
    return call.body


@pytest.fixture
async def world(client, sql_settings) -> World:
    people = await http_cast(client, sql_settings)
    appointment = await book_over_http(client, people[OWNER], people[DOCTOR])
    return World(people=people, appointment=appointment)


async def snapshot(client, world: World) -> dict:
    """Everything the calls could change, as the admin sees it."""
    admin = world.people[ADMIN].headers
    patients = (await client.get("/patients/", headers=admin)).json()["results"]
    appointments = (await client.get("/appointments/", headers=admin)).json()["results"]
    return {"patients": patients, "appointments": appointments}


def visible_patients(world: World, role: str) -> list[int]:
    people = world.people
    return sorted({
        OWNER: [people[OWNER].patient_id], OTHER: [people[OTHER].patient_id],
        OTHER_DOCTOR: [people[OTHER_DOCTOR].patient_id],
        DOCTOR: [people[OWNER].patient_id, people[DOCTOR].patient_id],
        ADMIN: [party.patient_id for name, party in people.items() if name != ANON],
    }[role])


def visible_appointments(world: World, role: str) -> list[int]:
    return [world.appointment["id"]] if role in (OWNER, DOCTOR, ADMIN) else []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(MATRIX))
async def test_permission_matrix(client, world, operation, role):
    call, expected_statuses = MATRIX[operation]
    caller = world.people[role]
    before = await snapshot(client, world)
    kwargs: dict[str, Any] = {"headers": caller.headers}
    if call.form is not None:
        kwargs["data"] = call.form
    elif (body := body_for(call, world, caller)) is not None:
        kwargs["json"] = body
    response = await client.request(call.method, call.url(world), **kwargs)

    expected = expected_statuses[role]
    assert response.status_code == expected, f"{operation} as {role}: {response.status_code} {response.text}"
    after = await snapshot(client, world)
    if expected >= 400:
        assert after == before, f"{operation} as {role} was refused but changed something"
        if expected == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
        if expected in (401, 403, 404):
            assert set(response.json()) == {"detail"}
        return

    if operation == "patients list":
        assert [row["id"] for row in response.json()["results"]] == visible_patients(world, role)
    elif operation == "appointments list":
        assert [row["id"] for row in response.json()["results"]] == visible_appointments(world, role)
    elif call.method == "GET":
        assert response.json()["id"] in (world.owner.patient_id, world.appointment["id"])
        assert after == before
    elif call.method == "DELETE":
        assert response.content == b""
        key = "patients" if operation.startswith("patient") else "appointments"
        assert len(after[key]) == len(before[key]) - 1
        if key == "patients":
            assert after["appointments"] == [], "the patient's appointment went with them"
    elif operation == "appointments create":
        created = response.json()
        assert created["patient"] == caller.patient_id
        assert created["appointment_status"] == "Pendding"
        assert len(after["appointments"]) == len(before["appointments"]) + 1
    else:
        assert after != before, f"{operation} as {role} answered {expected} but changed nothing"
        changed = response.json()
        if "status" in operation:
            assert changed["appointment_status"] == "Runing"
        elif operation.startswith("appointment"):
            assert changed["symptoms"] == "fever"
        else:
            assert changed["phone"] in ("0171111", "0172222")
