from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.actors import ANONYMOUS, Actor
from hospital.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from hospital.domain.reviews import BODY_MAX, Rating, Review

VALID_RATINGS = "Valid choices: 1 to 5, as a number or as stars (\u2b50)."

STAR, SELECTOR = "\u2b50", "\ufe0f"
TODAY = date(2024, 5, 1)
AUTHOR = Actor(user_id=1, patient_id=10)
OTHER_PATIENT = Actor(user_id=2, patient_id=11)
THE_DOCTOR = Actor(user_id=3, patient_id=12, doctor_id=20)
ADMIN = Actor(user_id=5, is_staff=True, patient_id=14)

ratings = st.integers(min_value=1, max_value=5).map(Rating)


def written(**overrides: object) -> Review:
    arguments = {"reviewer_id": 10, "doctor_id": 20, "body": "Kind and careful.", "rating": 4,
                 "today": TODAY, "already_reviewed": False}
    return Review.write(**{**arguments, **overrides})


# --- Rating ----------------------------------------------------------------------------------------

@given(ratings)
def test_rating_round_trips_through_stars_and_value(rating):
    assert Rating.parse(rating.stars) == rating
    assert Rating.parse(rating.value) == rating
    assert Rating.parse(str(rating.value)) == rating


@given(ratings, st.data())
def test_rating_ignores_a_variation_selector_after_any_star(rating, data):
    stars = "".join(STAR + data.draw(st.sampled_from(["", SELECTOR])) for _ in range(rating.value))
    assert Rating.parse(stars) == rating


def test_stars_are_plain_stars():
    assert Rating(3).stars == STAR * 3


_VALID_TEXT = {str(n) for n in range(1, 6)} | {STAR * n for n in range(1, 6)}


@given(st.text().filter(lambda text: text.replace(SELECTOR, "") not in _VALID_TEXT))
def test_rating_refuses_other_text(raw):
    with pytest.raises(ValidationError) as error:
        Rating.parse(raw)
    assert error.value.errors == {"rating": [f'"{raw}" is not a valid choice. {VALID_RATINGS}']}


@pytest.mark.parametrize("raw", [
    0, 6, -1, True, False, 3.0, None, "", "0", "6", "03", " 3", "\uff13", STAR * 6,
    SELECTOR + STAR, STAR + SELECTOR + SELECTOR, "*" * 3, STAR + " " + STAR,
])
def test_rating_refuses_out_of_range_bools_and_lookalikes(raw):
    with pytest.raises(ValidationError) as error:
        Rating.parse(raw)
    assert set(error.value.errors) == {"rating"}


def test_a_rating_cannot_be_built_out_of_range():
    with pytest.raises(ValidationError):
        Rating(6)
    with pytest.raises(ValidationError):
        Rating(True)


# --- writing ---------------------------------------------------------------------------------------

def test_write_keeps_a_stripped_body_and_the_date():
    review = written(body="  Kind and careful.\n", rating=STAR * 5)
    assert asdict(review) == {
        "reviewer_id": 10, "doctor_id": 20, "body": "Kind and careful.", "rating": {"value": 5},
        "created_on": TODAY, "id": None,
    }


@pytest.mark.parametrize("body", ["", "   ", "\n\t"])
def test_write_refuses_a_blank_body(body):
    with pytest.raises(ValidationError) as error:
        written(body=body)
    assert error.value.errors == {"body": ["This field may not be blank."]}


@pytest.mark.parametrize("body", ["\x00", "Kind\x00", "\x00 careful"])
def test_write_and_edit_refuse_null_characters(body):
    with pytest.raises(ValidationError) as error:
        written(body=body)
    assert error.value.errors == {"body": ["Null characters are not allowed."]}
    review = written()
    with pytest.raises(ValidationError):
        review.edit(AUTHOR, body=body)
    assert review.body == "Kind and careful."


def test_body_may_be_as_long_as_the_limit_only():
    written(body="x" * BODY_MAX)
    with pytest.raises(ValidationError) as error:
        written(body="x" * (BODY_MAX + 1))
    assert error.value.errors == {"body": ["Ensure this field has no more than 5000 characters."]}


def test_write_reports_every_invalid_field_at_once():
    with pytest.raises(ValidationError) as error:
        written(body=" ", rating=9)
    assert set(error.value.errors) == {"body", "rating"}


def test_one_review_per_patient_per_doctor():
    with pytest.raises(ConflictError) as error:
        written(already_reviewed=True)
    assert error.value.errors == {"non_field_errors": ["You have already reviewed this doctor."]}


# --- editing ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", [AUTHOR, ADMIN])
def test_author_and_admin_may_edit(actor):
    review = written()
    review.edit(actor, body="Better now.", rating="\u2b50\u2b50", doctor_id=21)
    assert (review.body, review.rating, review.doctor_id) == ("Better now.", Rating(2), 21)


@pytest.mark.parametrize("actor", [OTHER_PATIENT, THE_DOCTOR, ANONYMOUS, Actor(is_staff=True)])
def test_anyone_else_may_not_change_a_review(actor):
    review = written()
    before = asdict(review)
    with pytest.raises(PermissionDeniedError):
        review.ensure_changeable_by(actor)
    with pytest.raises(PermissionDeniedError):
        review.edit(actor, body="Terrible.")
    assert asdict(review) == before


@pytest.mark.parametrize(("changes", "field"), [
    ({"body": "Fine.", "rating": 0}, "rating"),
    ({"rating": 1, "body": " "}, "body"),
])
def test_edit_validates_everything_before_changing_anything(changes, field):
    review = written()
    before = asdict(review)
    with pytest.raises(ValidationError) as error:
        review.edit(AUTHOR, doctor_id=21, **changes)
    assert set(error.value.errors) == {field}
    assert asdict(review) == before


def test_moving_a_review_to_a_doctor_already_reviewed_is_a_conflict():
    review = written()
    before = asdict(review)
    with pytest.raises(ConflictError):
        review.edit(AUTHOR, body="Moved.", doctor_id=21, already_reviewed_new_doctor=True)
    assert asdict(review) == before


def test_keeping_the_same_doctor_is_not_a_conflict_with_itself():
    review = written()
    review.edit(AUTHOR, body="Still good.", doctor_id=20, already_reviewed_new_doctor=True)
    assert review.body == "Still good."


def test_edit_with_nothing_changes_nothing():
    review = written()
    before = asdict(review)
    review.edit(AUTHOR)
    assert asdict(review) == before
