"""Two conflicting writes at once: the database's unique constraint settles it, one 2xx and one 400.

A barrier after the "already reviewed?" check holds each request until both have passed it, so
the race happens on every run, not only when the scheduler happens to interleave the requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from hospital.adapters.sqlalchemy.reviews import SqlAlchemyReviewRepository
from tests.support.reviews_clinic import add_doctor, write_review

ALREADY = {"non_field_errors": ["You have already reviewed this doctor."]}


@pytest.fixture
def both_pass_the_check(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Callable[[], None]:
    """Call it once the scene is set: from then on, two checks must meet before either goes on.

    Only on PostgreSQL: SQLite transactions take the write lock at BEGIN (engine.py), so the second
    request cannot even reach the check before the first commits; there the two requests still
    run at once, and the test proves they are serialised into one success and one refusal.
    """

    def arm() -> None:
        if database_url.startswith("sqlite"):
            return
        barrier = asyncio.Barrier(2)
        checked = SqlAlchemyReviewRepository.exists

        async def exists_then_wait(self, **kwargs) -> bool:
            answer = await checked(self, **kwargs)
            await asyncio.wait_for(barrier.wait(), timeout=10)
            return answer

        monkeypatch.setattr(SqlAlchemyReviewRepository, "exists", exists_then_wait)

    return arm


async def test_two_identical_creates_at_once_give_one_201_and_one_400(api, clinic, both_pass_the_check):
    both_pass_the_check()
    body = {"doctor": clinic.ada.doctor_id, "body": "Twice?", "rating": 5}
    responses = await asyncio.gather(*(api.post("/reviews/", json=body, headers=clinic.author.headers)
                                       for _ in range(2)))
    assert sorted(response.status_code for response in responses) == [201, 400]
    created, refused = sorted(responses, key=lambda response: response.status_code)
    assert refused.json() == ALREADY
    assert (await api.get("/reviews/")).json()["results"] == [created.json()]


async def test_moving_two_reviews_to_one_doctor_at_once_gives_one_200_and_one_400(
        api, clinic, sql_container, both_pass_the_check):
    carl = await add_doctor(sql_container, "carl", first_name="Carl", last_name="Gauss")
    of_ada = await write_review(sql_container, clinic.author.actor, clinic.ada.doctor_id)
    of_carl = await write_review(sql_container, clinic.author.actor, carl.doctor_id)
    both_pass_the_check()
    moves = [api.patch(f"/reviews/{review_id}/", json={"doctor": clinic.grace.doctor_id},
                       headers=clinic.author.headers) for review_id in (of_ada, of_carl)]
    responses = await asyncio.gather(*moves)
    assert sorted(response.status_code for response in responses) == [200, 400]
    assert [r.json() for r in responses if r.status_code == 400] == [ALREADY]
    of_grace = await api.get("/reviews/", params={"doctor": clinic.grace.doctor_id})
    assert of_grace.json()["count"] == 1

