"""EntityTable (adapters/sqlalchemy/entity_table.py) works out which of a table's columns an entity's
constructor takes once per entity and table: every unit of work makes its repositories anew, and a
booking's unit made them at the cost of a dataclass's fields walked per repository."""

from __future__ import annotations

import dataclasses

from hospital.adapters.sqlalchemy import entity_table
from hospital.adapters.sqlalchemy.entity_table import EntityTable
from hospital.adapters.sqlalchemy.tables.care import appointments
from hospital.domain.appointments import Appointment


def test_the_constructors_columns_are_worked_out_once(monkeypatch):
    walked = []

    def counted(entity):
        walked.append(entity)
        return dataclasses.fields(entity)

    monkeypatch.setattr(entity_table, "fields", counted)
    monkeypatch.setattr(entity_table, "_INIT_COLUMNS", {})
    first, second = (EntityTable(None, None, Appointment, appointments) for _ in range(2))  # type: ignore[arg-type]
    assert walked == [Appointment]
    assert first._init == second._init
    init = {field.name for field in dataclasses.fields(Appointment) if field.init}
    assert first._init == tuple(column.name in init for column in entity_table.statements_for(appointments).columns)
