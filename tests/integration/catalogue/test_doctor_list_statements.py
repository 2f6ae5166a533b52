"""The doctor list costs the same few SQL statements whatever the page size: no query per doctor."""

from __future__ import annotations

import pytest

from tests.support.catalogue import seed_doctors
from tests.support.sql_statements import counted_statements, engines_of


@pytest.fixture
async def hundred_doctors(direct, catalogue) -> list[int]:
    return await seed_doctors(direct, catalogue, 100)


async def statements_for(client, sql_container, url: str) -> int:
    with counted_statements(*engines_of(sql_container)) as statements:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    return len(statements)


async def test_a_page_of_100_costs_what_a_page_of_1_costs(client, sql_container, hundred_doctors):
    costs = {
        limit: await statements_for(client, sql_container, f"/doctors/?limits={limit}") for limit in (1, 10, 100)
    }
    assert costs[1] == costs[10] == costs[100], costs
    # the data version (for the response cache), the page of doctors with their labels and the total
    assert costs[100] == 2, costs


async def test_a_page_answered_again_costs_only_the_version_check(client, sql_container, hundred_doctors):
    await statements_for(client, sql_container, "/doctors/?limits=100")
    assert await statements_for(client, sql_container, "/doctors/?limits=100") == 1


async def test_filters_keep_the_cost_constant(client, sql_container, catalogue, hundred_doctors):
    query = f"designation={catalogue.designations[1]}&available_time={catalogue.times[0]}"
    small = await statements_for(client, sql_container, f"/doctors/?{query}&limits=1")
    large = await statements_for(client, sql_container, f"/doctors/?{query}&limits=100")
    assert small == large == 2


async def test_the_page_really_holds_every_doctor_with_its_names(client, hundred_doctors):
    body = (await client.get("/doctors/?limits=100")).json()
    assert (body["count"], len(body["results"])) == (100, 100)
    assert {tuple(d["designation"]) for d in body["results"]} == {("Senior Consultant", "Resident")}
    assert [d["id"] for d in body["results"]] == hundred_doctors


async def test_one_doctor_costs_a_fixed_number_too(client, sql_container, hundred_doctors):
    assert await statements_for(client, sql_container, f"/doctors/{hundred_doctors[0]}/") <= 2
