"""Demo data in bulk, straight into the tables: doctors with their catalogue links, patients,
appointments and reviews, for trying the API out and for the benchmark (bench/).

Rows are written with multi-row INSERTs rather than through the use cases: seeding ten thousand
accounts through argon2 would take minutes. Every account gets the same password, hashed once
by the caller with the real hasher, so any seeded user can log in. Usernames are predictable
(``doctor1``, ``patient1``...) and the first doctor is ``doctor1`` with doctor id 1 on an empty
database; a database that already holds rows gets the new ones after them.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.adapters.sqlalchemy.tables.accounts import patients, user_profiles, users
from hospital.adapters.sqlalchemy.tables.care import appointments, reviews

DESIGNATIONS = ("Consultant", "Senior Consultant", "Registrar", "Resident", "Professor", "Head of Department")
SPECIALISATIONS = (
    "Cardiology", "Dermatology", "Neurology", "Oncology", "Paediatrics", "Psychiatry", "Radiology",
    "Orthopaedics", "Gastroenterology", "Endocrinology", "Nephrology", "Urology",
)
TIMES = tuple(f"{hour:02d}:00 - {hour + 1:02d}:00" for hour in range(8, 20))
SYMPTOMS = ("Headache for three days", "Persistent cough", "Back pain after a fall", "Routine check-up", "")
REVIEW_BODIES = ("Very attentive and kind.", "Explained everything clearly.", "Long wait, good care.")
_CHUNK = 500
# The doctors a bulk insert spreads its rows over, by position (a temporary table, not in the schema).
_BULK_DOCTORS = Table("bulk_doctors", MetaData(), Column("position", Integer), Column("id", Integer))


@dataclass(frozen=True, slots=True)
class DemoCounts:
    doctors: int
    patients: int
    appointments: int
    reviews: int


async def _insert(connection: AsyncConnection, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), _CHUNK):
        await connection.execute(insert(table), rows[start:start + _CHUNK])


async def _next_id(connection: AsyncConnection, table) -> int:
    return (await connection.scalar(select(func.max(table.c.id)))) or 0


async def _catalogue(connection: AsyncConnection, table, names: tuple[str, ...]) -> list[int]:
    first = await _next_id(connection, table) + 1
    ids = list(range(first, first + len(names)))
    if table is t.available_times:
        rows = [{"id": id_, "time": name} for id_, name in zip(ids, names, strict=True)]
    else:
        rows = [{"id": id_, "name": name, "slug": f"{name.lower().replace(' ', '-')}-{id_}"}
                for id_, name in zip(ids, names, strict=True)]
    await _insert(connection, table, rows)
    return ids


async def _accounts(connection: AsyncConnection, prefix: str, count: int, password_hash: str) -> list[int]:
    """``count`` users with their profile and patient record (as registration makes them); their ids."""
    now = datetime.now(UTC)
    first = await _next_id(connection, users) + 1
    ids = list(range(first, first + count))
    await _insert(connection, users, [
        {"id": id_, "username": f"{prefix}{id_}", "email": f"{prefix}{id_}@example.org",
         "first_name": prefix.capitalize(), "last_name": f"No. {id_}", "password_hash": password_hash,
         "is_staff": False, "is_active": True, "date_joined": now, "token_version": 0}
        for id_ in ids
    ])
    await _insert(connection, user_profiles, [
        {"user_id": id_, "bio": "", "address": "", "created_at": now, "updated_at": now} for id_ in ids
    ])
    await _insert(connection, patients, [{"user_id": id_} for id_ in ids])
    return ids


async def _restart_sequences(connection: AsyncConnection) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; the API's next insert must not collide."""
    if connection.dialect.name != "postgresql":
        return
    for table in (users, user_profiles, patients, t.doctors, t.designations, t.specialisations,
                  t.available_times, appointments, reviews):
        await connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - table names are ours
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
        ))


async def seed_demo(engine: AsyncEngine, *, doctors: int, patients_count: int, appointments_count: int,
                    reviews_count: int, password_hash: str, seed: int = 6) -> DemoCounts:
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not secrets
    async with engine.begin() as connection:
        designation_ids = await _catalogue(connection, t.designations, DESIGNATIONS)
        specialisation_ids = await _catalogue(connection, t.specialisations, SPECIALISATIONS)
        time_ids = await _catalogue(connection, t.available_times, TIMES)

        doctor_users = await _accounts(connection, "doctor", doctors, password_hash)
        first_doctor = await _next_id(connection, t.doctors) + 1
        doctor_ids = list(range(first_doctor, first_doctor + doctors))
        await _insert(connection, t.doctors, [
            {"id": doctor_id, "user_id": user_id, "fee": rng.randrange(20, 200) * 10,
             "meet_link": f"https://meet.example.org/doctor-{doctor_id}", "profile": None}
            for doctor_id, user_id in zip(doctor_ids, doctor_users, strict=True)
        ])
        doctor_times: dict[int, list[int]] = {}
        links: dict = {t.doctor_designations: [], t.doctor_specialisations: [], t.doctor_available_times: []}
        for doctor_id in doctor_ids:
            doctor_times[doctor_id] = rng.sample(time_ids, 4)
            links[t.doctor_designations] += [{"doctor_id": doctor_id, "designation_id": i}
                                             for i in rng.sample(designation_ids, 2)]
            links[t.doctor_specialisations] += [{"doctor_id": doctor_id, "specialisation_id": i}
                                                for i in rng.sample(specialisation_ids, 3)]
            links[t.doctor_available_times] += [{"doctor_id": doctor_id, "available_time_id": i}
                                                for i in doctor_times[doctor_id]]
        for table, rows in links.items():
            await _insert(connection, table, rows)

        await _accounts(connection, "patient", patients_count, password_hash)
        patient_ids = [row[0] for row in await connection.execute(select(patients.c.id).order_by(patients.c.id))]
        booked = []
        for _ in range(appointments_count):
            doctor_id = rng.choice(doctor_ids)
            booked.append({
                "patient_id": rng.choice(patient_ids), "doctor_id": doctor_id,
                "time_id": rng.choice(doctor_times[doctor_id]), "appointment_type": rng.choice(("Online", "Offline")),
                "status": "Pendding", "symptoms": rng.choice(SYMPTOMS), "cancelled": False,
            })
        await _insert(connection, appointments, booked)

        pairs = set()
        while len(pairs) < min(reviews_count, len(patient_ids) * len(doctor_ids)):
            pairs.add((rng.choice(patient_ids), rng.choice(doctor_ids)))
        await _insert(connection, reviews, [
            {"reviewer_id": reviewer, "doctor_id": doctor_id, "body": rng.choice(REVIEW_BODIES),
             "rating": rng.randint(1, 5), "created_on": date(2024, 1, 1)}
            for reviewer, doctor_id in sorted(pairs)
        ])
        await _restart_sequences(connection)
    return DemoCounts(len(doctor_ids), len(patient_ids), len(booked), len(pairs))


_GENERATE = {
    # Row numbers 1..n generated inside the database: a million rows never cross the wire.
    "postgresql": "SELECT n FROM generate_series(1, :count) AS n",
    "sqlite": "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :count) SELECT n FROM seq",
}


async def bulk_appointments(engine: AsyncEngine, count: int, *, only_doctor_id: int | None = None,
                            skip_doctor_id: int | None = None) -> int:
    """``count`` more appointments over every patient, for ``only_doctor_id`` or else spread over
    every doctor except ``skip_doctor_id``, generated by one INSERT ... SELECT (the benchmark's million rows)."""
    async with engine.begin() as connection:
        generate = _GENERATE[connection.dialect.name]
        wanted = (t.doctors.c.id == only_doctor_id if only_doctor_id is not None
                  else t.doctors.c.id != (skip_doctor_id or 0))
        doctor_ids = [row[0] for row in await connection.execute(
            select(t.doctors.c.id).where(wanted).order_by(t.doctors.c.id)
        )]
        bounds = (await connection.execute(select(func.min(patients.c.id), func.max(patients.c.id)))).one()
        time_id = await connection.scalar(select(func.min(t.available_times.c.id)))
        if not doctor_ids or bounds[0] is None or time_id is None:
            raise ValueError("seed doctors, patients and times first")
        # Doctor ids are taken from a VALUES list by position, so gaps and the skipped one never matter.
        await connection.execute(text("CREATE TEMPORARY TABLE bulk_doctors (position INTEGER PRIMARY KEY, id INTEGER)"))
        await _insert(connection, _BULK_DOCTORS, [
            {"position": position, "id": doctor_id} for position, doctor_id in enumerate(doctor_ids)
        ])
        # Only constant SQL text is pasted in; every value is a bound parameter.
        statement = text(
            "INSERT INTO appointments (patient_id, doctor_id, time_id, appointment_type, status, symptoms, cancelled) "  # noqa: S608
            "SELECT :first_patient + (g.n % :patients), d.id, :time_id, "
            "CASE WHEN g.n % 2 = 0 THEN 'Online' ELSE 'Offline' END, 'Pendding', 'Routine check-up', :false "
            f"FROM ({generate}) AS g JOIN bulk_doctors AS d ON d.position = g.n % :doctors"
        )
        await connection.execute(statement, {
            "count": count, "first_patient": bounds[0], "patients": bounds[1] - bounds[0] + 1,
            "doctors": len(doctor_ids), "time_id": time_id, "false": False,
        })
        await connection.execute(text("DROP TABLE bulk_doctors"))
        await _restart_sequences(connection)
    await _settle_after_bulk_load(engine)
    return count


async def _settle_after_bulk_load(engine: AsyncEngine) -> None:
    """What an operator does after a bulk load, so that reads are measured in a steady state: fresh
    planner statistics and, on PostgreSQL, a visibility map (index-only counts); on SQLite the
    write-ahead log folded back into the database file."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM (ANALYZE) appointments"))
        return
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        # On a connection of its own: the engine begins every transaction with BEGIN IMMEDIATE, and a
        # checkpoint cannot run inside one.
        connection = sqlite3.connect(database, timeout=30)
        try:
            connection.execute("ANALYZE")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()

