"""A page of reviews costs the same few SQL statements whether it holds one review or a hundred."""

from __future__ import annotations

from datetime import date

import pytest

from hospital.domain.reviews import Review
from tests.support.actors import register
from tests.support.reviews_clinic import add_doctor
from tests.support.sql_statements import counted_statements, engines_of

PAGE = {"limits": 1000}


def statements_of(container):
    return counted_statements(*engines_of(container))


def reads(statements: list[str]) -> list[str]:
    """The request's queries: the audit log's batches of read events are written by a timer that may
    fire while a request is counted (its INSERTs are measured by bench/audit.py, not here)."""
    return [statement for statement in statements if statement.lstrip().upper().startswith("SELECT")]


async def _reviews(container, patients: list[int], doctors: list[int]) -> None:
    """Every patient reviews every doctor, straight through the repository."""
    async with container.unit_of_work() as uow:
        for patient_id in patients:
            for doctor_id in doctors:
                await uow.reviews.add(Review.write(
                    reviewer_id=patient_id, doctor_id=doctor_id, body="Fine.", rating=1 + (patient_id + doctor_id) % 5,
                    today=date(2024, 5, 1), already_reviewed=False))
        await uow.commit()


async def _people(container, count: int) -> tuple[list[int], list[int]]:
    patients = [(await register(container, f"patient{n}", first_name="Pat")).patient_id for n in range(count)]
    doctors = [(await add_doctor(container, f"doctor{n}", last_name="Doc")).doctor_id for n in range(count)]
    return patients, doctors


async def _count_for(api, container, params: dict) -> tuple[int, int]:
    with statements_of(container) as seen:
        response = await api.get("/reviews/", params={**PAGE, **params})
    assert response.status_code == 200
    return len(response.json()["results"]), len(reads(seen))


@pytest.mark.parametrize("params", [{}, {"search": "pat"}, {"search": "doc", "rating": "3"}, {"doctor": "1"}])
async def test_one_review_or_a_hundred_cost_the_same_statements(api, sql_container, params):
    patients, doctors = await _people(sql_container, 10)
    await _reviews(sql_container, patients[:1], doctors[:1])
    one, with_one = await _count_for(api, sql_container, params)
    await _reviews(sql_container, patients[1:], doctors[:1])
    await _reviews(sql_container, patients, doctors[1:])
    many, with_many = await _count_for(api, sql_container, params)
    assert one <= 1 and many >= (10 if params else 100)
    assert with_one == with_many == 1  # the page, its total on each row


async def test_reading_one_review_is_one_statement(api, sql_container):
    patients, doctors = await _people(sql_container, 1)
    await _reviews(sql_container, patients, doctors)
    with statements_of(sql_container) as seen:
        assert (await api.get("/reviews/1/")).status_code == 200
    assert len(reads(seen)) == 1


def _of_reviews(statements: list[str]) -> list[str]:
    """The queries of reviews, doctors and their names (not the caller's actor, which a request may read)."""
    return [statement for statement in reads(statements)
            if ("reviews" in statement or "doctors" in statement) and "is_staff" not in statement]


async def test_a_reviews_change_answers_with_the_names_read_at_its_load(api, sql_container, clinic):
    """One query: the review locked, with its reviewer's and doctor's names; no read of the view after
    the save while the row is locked (on PostgreSQL writers of the row queue on that lock)."""
    created = await api.post("/reviews/", json={"doctor": clinic.ada.doctor_id, "body": "Kind.", "rating": 5},
                             headers=clinic.author.headers)
    review = created.json()
    with statements_of(sql_container) as seen:
        changed = await api.patch(f"/reviews/{review['id']}/", json={"body": "Kind and clear."},
                                  headers=clinic.author.headers)
    assert changed.status_code == 200
    assert changed.json() == {**review, "body": "Kind and clear."}
    assert len(_of_reviews(seen)) == 1


async def test_a_review_is_created_after_one_read_of_its_names(api, sql_container, clinic):
    """The doctor and the names read once, before the transaction; the one-review-each rule is the
    INSERT's unique key; the answer is made from what was written and read."""
    with statements_of(sql_container) as seen:
        created = await api.post("/reviews/", json={"doctor": clinic.ada.doctor_id, "body": "Kind.", "rating": 5},
                                 headers=clinic.author.headers)
    assert created.status_code == 201
    assert len(_of_reviews(seen)) == 1
    assert created.json() == (await api.get(f"/reviews/{created.json()['id']}/")).json()
