"""Writing reviews: one per patient per doctor, a doctor that exists, the caller as the reviewer."""

from __future__ import annotations

from datetime import date

import pytest

from hospital.application.actor import Actor
from hospital.application.ids import MAX_ID
from hospital.application.pagination import PageRequest
from hospital.application.reviews import ReviewChanges, ReviewDraft
from hospital.domain.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from tests.support.reviews_clinic import open_clinic, write_review

ALREADY = {"non_field_errors": ["You have already reviewed this doctor."]}


@pytest.fixture
async def cast(container):
    return await open_clinic(container)


async def _all(container, actor: Actor):
    return list((await container.list_reviews()(actor, page=PageRequest())).items)


async def test_a_review_shows_who_wrote_it_of_whom_and_when(container, cast):
    view = await container.create_review()(
        cast.author, ReviewDraft(doctor=cast.ada.doctor_id, body="  Kind and careful.\n", rating=5))
    assert (view.reviewer_id, view.reviewer, view.doctor, view.doctor_name) == (
        cast.author.patient_id, "Alan Turing", cast.ada.doctor_id, "Ada Lovelace")
    assert (view.body, view.created_on) == ("Kind and careful.", date(2026, 1, 15))  # the clock's day


async def test_a_reviewer_without_names_is_shown_by_username(container, cast):
    view = await container.create_review()(cast.other, ReviewDraft(doctor=cast.ada.doctor_id, body="Ok.", rating=3))
    assert view.reviewer == "edsger"


async def test_a_patient_reviews_a_doctor_once(container, cast):
    await write_review(container, cast.author, cast.ada.doctor_id)
    with pytest.raises(ConflictError) as error:
        await write_review(container, cast.author, cast.ada.doctor_id, rating=1, body="Changed my mind.")
    assert error.value.errors == ALREADY
    assert [view.body for view in await _all(container, cast.other)] == ["Kind and careful."]


async def test_one_each_means_other_doctors_and_other_patients_are_free(container, cast):
    await write_review(container, cast.author, cast.ada.doctor_id)
    await write_review(container, cast.author, cast.grace.doctor_id)
    await write_review(container, cast.other, cast.ada.doctor_id)
    assert len(await _all(container, cast.other)) == 3


async def test_after_deleting_their_review_a_patient_may_write_another(container, cast):
    review_id = await write_review(container, cast.author, cast.ada.doctor_id)
    await container.delete_review()(cast.author, review_id)
    await write_review(container, cast.author, cast.ada.doctor_id, body="Second thoughts.")
    assert [view.body for view in await _all(container, cast.author)] == ["Second thoughts."]


async def test_moving_a_review_to_a_doctor_already_reviewed_is_refused(container, cast):
    of_ada = await write_review(container, cast.author, cast.ada.doctor_id)
    await write_review(container, cast.author, cast.grace.doctor_id)
    before = await container.get_review()(cast.author, of_ada)
    with pytest.raises(ConflictError) as error:
        await container.update_review()(cast.author, of_ada, ReviewChanges(doctor=cast.grace.doctor_id, body="Moved."))
    assert error.value.errors == ALREADY
    assert await container.get_review()(cast.author, of_ada) == before


async def test_an_admin_moving_a_review_keeps_the_rule_for_its_reviewer(container, cast):
    of_ada = await write_review(container, cast.author, cast.ada.doctor_id)
    await write_review(container, cast.author, cast.grace.doctor_id)
    with pytest.raises(ConflictError):
        await container.update_review()(cast.admin, of_ada, ReviewChanges(doctor=cast.grace.doctor_id))


async def test_a_review_may_move_to_a_doctor_not_yet_reviewed(container, cast):
    review_id = await write_review(container, cast.author, cast.ada.doctor_id)
    view = await container.update_review()(cast.author, review_id, ReviewChanges(doctor=cast.grace.doctor_id))
    assert (view.doctor, view.doctor_name) == (cast.grace.doctor_id, "Grace Hopper")


async def test_naming_the_same_doctor_again_is_no_conflict_with_itself(container, cast):
    review_id = await write_review(container, cast.author, cast.ada.doctor_id)
    view = await container.update_review()(
        cast.author, review_id, ReviewChanges(doctor=cast.ada.doctor_id, body="Same doctor.", rating=2))
    assert (view.body, view.rating) == ("Same doctor.", 2)


@pytest.mark.parametrize("doctor", [999, 0, -1, MAX_ID, MAX_ID + 1, 10**30])
async def test_the_doctor_must_exist(container, cast, doctor):
    with pytest.raises(ValidationError) as error:
        await write_review(container, cast.author, doctor)
    assert error.value.errors == {"doctor": [f'Invalid pk "{doctor}" - object does not exist.']}
    assert await _all(container, cast.author) == []


async def test_every_problem_is_reported_at_once(container, cast):
    with pytest.raises(ValidationError) as error:
        await write_review(container, cast.author, 999, rating=9, body=" ")
    assert set(error.value.errors) == {"doctor", "body", "rating"}


async def test_moving_to_an_unknown_doctor_is_refused_and_changes_nothing(container, cast):
    review_id = await write_review(container, cast.author, cast.ada.doctor_id)
    before = await container.get_review()(cast.author, review_id)
    with pytest.raises(ValidationError) as error:
        await container.update_review()(cast.author, review_id, ReviewChanges(doctor=999, body="Gone.", rating=1))
    assert error.value.errors == {"doctor": ['Invalid pk "999" - object does not exist.']}
    assert await container.get_review()(cast.author, review_id) == before


@pytest.mark.parametrize("body", ["", "  ", "\n\t"])
async def test_the_body_is_required(container, cast, body):
    with pytest.raises(ValidationError) as error:
        await write_review(container, cast.author, cast.ada.doctor_id, body=body)
    assert error.value.errors == {"body": ["This field may not be blank."]}


async def test_a_user_without_a_patient_record_may_not_review(container, cast):
    not_a_patient = Actor(user_id=cast.author.user_id)
    with pytest.raises(PermissionDeniedError):
        await write_review(container, not_a_patient, cast.ada.doctor_id)
    assert await _all(container, cast.author) == []


@pytest.mark.parametrize("review_id", [999, 0, -1, MAX_ID + 1, 10**30])
async def test_unknown_reviews_are_not_found(container, cast, review_id):
    with pytest.raises(NotFoundError):
        await container.get_review()(cast.author, review_id)
    with pytest.raises(NotFoundError):
        await container.update_review()(cast.admin, review_id, ReviewChanges(body="x"))
    with pytest.raises(NotFoundError):
        await container.delete_review()(cast.admin, review_id)
