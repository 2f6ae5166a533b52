"""One doctor's view reads the names of its own labels, not the whole catalogues: it is the answer
of every doctor write, read in the writer's turn, so its cost must not grow with the catalogues."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner, Reads
from hospital.adapters.sqlalchemy.doctor_reads import SqlAlchemyDoctorReadQueries
from hospital.application.doctors import DoctorChanges
from hospital.domain.doctors import Doctor
from hospital.domain.taxonomy import Designation, Specialisation
from hospital.domain.users import User
from tests.support.actors import admin, unique_username
from tests.support.sql_statements import counted_statements, engines_of

OTHERS = 40  # labels of the catalogues that the doctor does not carry


class RowCounting(ReadRunner):
    """A read runner that remembers how many rows each statement returned."""

    def __init__(self, inner: ReadRunner) -> None:
        self.inner, self.counts = inner, []

    async def rows(self, query, parameters=None) -> list[Any]:
        rows = await self.inner.rows(query, parameters)
        self.counts.append(len(rows))
        return rows


async def _house(sql_container) -> Doctor:
    """Dr House, with two designations and a specialisation among ``OTHERS`` labels he does not carry."""
    user = User.register(username=unique_username(), email="u@example.com", first_name="Greg", last_name="House",
                         password_hash="x", joined_at=datetime.now(UTC))
    async with sql_container.unit_of_work() as uow:
        await uow.users.add(user)
        designations = [Designation(name=f"D{n}", slug=f"d{n}") for n in range(OTHERS + 2)]
        specialisations = [Specialisation(name=f"S{n}", slug=f"s{n}") for n in range(OTHERS + 1)]
        for taxon in designations:
            await uow.designations.add(taxon)
        for taxon in specialisations:
            await uow.specialisations.add(taxon)
        await uow.commit()
    doctor = Doctor(user_id=user.id, designation_ids=[designations[7].id, designations[3].id],
                    specialisation_ids=[specialisations[5].id], available_time_ids=[], fee=100, meet_link="",
                    profile="doctors/a.png")
    async with sql_container.unit_of_work() as uow:
        await uow.doctors.add(doctor)
        await uow.commit()
    return doctor


async def test_a_doctors_view_reads_only_its_own_labels_names(sql_container):
    doctor = await _house(sql_container)
    async with sql_container.unit_of_work() as uow:
        counting = RowCounting(Reads(uow, sql_container.direct_reader()))
        view = await SqlAlchemyDoctorReadQueries(counting).get(doctor.id)
        lone = await SqlAlchemyDoctorReadQueries(counting).get(doctor.id + 1000)
    assert (view.designation, view.specialisation) == (("D3", "D7"), ("S5",))  # in id order
    assert lone is None
    # the doctor's card and its three labels' names; no doctor, no card (its labels have none either)
    assert counting.counts == [1 + 3, 0]


async def test_a_doctors_change_answers_with_the_names_read_at_its_load(sql_container):
    """One query: the doctor locked, with its user's and labels' names; no read of its view after the
    save while the row is locked (on PostgreSQL writers of one doctor queue on that lock)."""
    doctor = await _house(sql_container)
    boss = await admin(sql_container)
    with counted_statements(*engines_of(sql_container)) as statements:
        view = await sql_container.update_doctor()(boss, doctor.id, DoctorChanges(fee=250), partial=True)
    async with sql_container.unit_of_work() as uow:
        assert view == await uow.doctor_reads.get(doctor.id)
    assert (view.user, view.designation, view.specialisation, view.fee) == ("Greg House", ("D3", "D7"), ("S5",), 250)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT") and "is_staff" not in s]) == 1


@pytest.mark.parametrize("statement", ["locked load", "view"])
async def test_a_doctors_labels_names_are_read_by_key_whatever_the_catalogues_size(sql_container, statement):
    """The plans (asked as each backend plans them) of a doctor write's locked load and of one
    doctor's view look up the doctor's own labels by primary key. A join or a semi-join left
    PostgreSQL free to hash the doctor's links and scan the whole label table: with the thousands
    of labels the bench's creates leave, every doctor write read them all while its writers queued.
    A plan, not a timing."""
    from hospital.adapters.sqlalchemy.catalogue import _DOCTOR_NAMED
    from hospital.adapters.sqlalchemy.doctor_reads import _ONE

    doctor = await _house(sql_container)
    engine = sql_container.engine()
    async with engine.begin() as connection:
        for table in ("designations", "specialisations"):
            await connection.exec_driver_sql(
                f"INSERT INTO {table} (name, slug, version) "
                f"SELECT 'Many ' || n, 'many-' || n, 1 FROM ({_NUMBERS}) AS numbers")
    postgresql = engine.dialect.name == "postgresql"
    query, parameter = (_DOCTOR_NAMED, "id") if statement == "locked load" else (_ONE, "doctor_id")
    sql, values = query.bind(engine.dialect, {parameter: doctor.id})
    async with engine.connect() as connection:
        plans = [await _plan(connection, sql, values, postgresql)]
        if postgresql:
            # PostgreSQL picks a join's method by its estimates, which go stale as a catalogue grows
            # (the bench's hashed the links and scanned 4,000 labels). Refused a nested loop, a join
            # shows it: a name looked up by key has no join to choose for.
            await connection.exec_driver_sql("SET enable_nestloop = off")
            plans.append(await _plan(connection, sql, values, postgresql))
            await connection.exec_driver_sql("RESET enable_nestloop")
    for plan in plans:
        for table in ("designations", "specialisations"):
            assert (f"Seq Scan on {table}" if postgresql else f"SCAN {table}") not in plan, plan


async def _plan(connection, sql: str, values: list[Any], postgresql: bool) -> str:
    rows = await connection.exec_driver_sql(f"EXPLAIN {'' if postgresql else 'QUERY PLAN '}{sql}", tuple(values))
    return " | ".join(str(row[-1]) for row in rows)


# 3,000 numbers, in SQL both backends read
_NUMBERS = ("WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < 3000) SELECT n FROM n")
