"""A rating comes in as stars, an integer or its digit, through every use case that takes one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.application.pagination import PageRequest
from hospital.application.reviews import ReviewChanges, ReviewDraft, ReviewQuery
from hospital.domain.errors import ValidationError
from tests.support.reviews_clinic import STARS, open_clinic

VALID_RATINGS = "Valid choices: 1 to 5, as a number or as stars (\u2b50)."

STAR, SELECTOR = "\u2b50", "\ufe0f"
ACCEPTED = [(1, 1), (5, 5), ("1", 1), ("5", 5), (STARS[1], 1), (STARS[4], 4), (STAR + SELECTOR + STAR, 2)]
REFUSED = [0, 6, -1, 10**30, True, False, "", "0", "6", " 3", "3 ", "03", "3.0", "\uff13", "abc",
           STARS[5] + STAR, STAR + " " + STAR, "*" * 3, SELECTOR, "' OR 1=1 --"]


@pytest.fixture
async def cast(container):
    return await open_clinic(container)


@pytest.fixture
async def review(container, cast):
    draft = ReviewDraft(doctor=cast.ada.doctor_id, body="Fine.", rating=1)
    return await container.create_review()(cast.author, draft)


@pytest.mark.parametrize(("given", "value"), ACCEPTED)
async def test_a_review_is_written_with_any_accepted_form(container, cast, given, value):
    view = await container.create_review()(cast.author, ReviewDraft(doctor=cast.ada.doctor_id, body="Fine.",
                                                                     rating=given))
    assert (view.rating, view.stars) == (value, STAR * value)


@pytest.mark.parametrize("given", REFUSED)
async def test_a_bad_rating_is_refused_and_nothing_is_written(container, cast, given):
    with pytest.raises(ValidationError) as error:
        await container.create_review()(cast.author, ReviewDraft(doctor=cast.ada.doctor_id, body="Fine.",
                                                                 rating=given))
    assert error.value.errors == {"rating": [f'"{given}" is not a valid choice. {VALID_RATINGS}']}
    assert (await container.list_reviews()(cast.author, page=PageRequest())).total == 0


@pytest.mark.parametrize("given", REFUSED)
async def test_a_bad_rating_leaves_an_edited_review_as_it_was(container, cast, review, given):
    with pytest.raises(ValidationError) as error:
        await container.update_review()(cast.author, review.id, ReviewChanges(body="Changed.", rating=given))
    assert set(error.value.errors) == {"rating"}
    assert await container.get_review()(cast.author, review.id) == review


@given(value=st.integers(min_value=1, max_value=5), form=st.sampled_from(["int", "digit", "stars", "emoji"]))
async def test_every_form_of_every_rating_round_trips_through_an_edit(container, cast, review, value, form):
    # Hypothesis runs every example on the same review (function-scoped fixtures): edits are idempotent.
    given_rating = {"int": value, "digit": str(value), "stars": STAR * value, "emoji": (STAR + SELECTOR) * value}[form]
    view = await container.update_review()(cast.author, review.id, ReviewChanges(rating=given_rating))
    assert view.stars == STAR * value


@pytest.mark.parametrize(("given", "value"), [(STARS[2], 2), ("2", 2), (2, 2), (STARS[5], 5)])
async def test_the_list_filter_takes_stars_or_numbers(container, cast, given, value):
    for author, stars in ((cast.author, 2), (cast.other, 5)):
        await container.create_review()(author, ReviewDraft(doctor=cast.ada.doctor_id, body="Fine.", rating=stars))
    page = await container.list_reviews()(cast.other, page=PageRequest(), query=ReviewQuery(rating=given))
    assert [view.rating for view in page.items] == [value]


@pytest.mark.parametrize("given", ["", "0", "six", STARS[5] + STAR, "%", "' OR 1=1 --"])
async def test_the_list_filter_refuses_a_bad_rating(container, cast, given):
    with pytest.raises(ValidationError) as error:
        await container.list_reviews()(cast.other, page=PageRequest(), query=ReviewQuery(rating=given))
    assert set(error.value.errors) == {"rating"}
