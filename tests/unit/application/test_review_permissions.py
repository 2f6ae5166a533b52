"""Who may do what to a review: anyone reads, a patient writes, the author or an admin changes."""

from __future__ import annotations

import pytest

from hospital.application.actor import ANONYMOUS
from hospital.application.errors import AuthenticationError
from hospital.application.pagination import PageRequest
from hospital.application.reviews import ReviewChanges, ReviewDraft
from hospital.domain.errors import PermissionDeniedError
from tests.support.reviews_clinic import open_clinic, write_review

# Who, by the cast's attribute; "ada" is the reviewed doctor herself.
EVERYONE = ["anonymous", "author", "other", "ada", "admin"]
MAY_CHANGE = {"author", "admin"}


@pytest.fixture
async def cast(container):
    return await open_clinic(container)


@pytest.fixture
async def review(container, cast):
    """Alan's review of Ada."""
    return await container.get_review()(ANONYMOUS, await write_review(container, cast.author, cast.ada.doctor_id))


def _actor(cast, who: str):
    return {"anonymous": ANONYMOUS, "author": cast.author, "other": cast.other, "ada": cast.ada.actor,
            "admin": cast.admin}[who]


def _refusal(who: str) -> type[Exception]:
    return AuthenticationError if who == "anonymous" else PermissionDeniedError


@pytest.mark.parametrize("who", EVERYONE)
async def test_anyone_lists_and_reads_reviews(container, cast, review, who):
    actor = _actor(cast, who)
    assert (await container.list_reviews()(actor, page=PageRequest())).items == [review]
    assert await container.get_review()(actor, review.id) == review


@pytest.mark.parametrize("who", EVERYONE)
async def test_any_patient_writes_a_review_as_themself_and_anonymous_may_not(container, cast, who):
    actor = _actor(cast, who)
    draft = ReviewDraft(doctor=cast.grace.doctor_id, body="Sharp.", rating=5)
    if who == "anonymous":
        with pytest.raises(AuthenticationError):
            await container.create_review()(actor, draft)
        assert (await container.list_reviews()(actor, page=PageRequest())).total == 0
    else:
        # Doctors and admins are patients too: every registered user has a patient record.
        view = await container.create_review()(actor, draft)
        assert view.reviewer_id == actor.patient_id


@pytest.mark.parametrize("who", EVERYONE)
async def test_only_the_author_or_an_admin_updates(container, cast, review, who):
    actor = _actor(cast, who)
    changes = ReviewChanges(body="Rewritten.", rating=1)
    if who in MAY_CHANGE:
        view = await container.update_review()(actor, review.id, changes)
        assert (view.body, view.rating, view.reviewer_id) == ("Rewritten.", 1, review.reviewer_id)
    else:
        with pytest.raises(_refusal(who)):
            await container.update_review()(actor, review.id, changes)
        assert await container.get_review()(actor, review.id) == review


@pytest.mark.parametrize("who", EVERYONE)
async def test_only_the_author_or_an_admin_deletes(container, cast, review, who):
    actor = _actor(cast, who)
    if who in MAY_CHANGE:
        await container.delete_review()(actor, review.id)
        assert (await container.list_reviews()(actor, page=PageRequest())).total == 0
    else:
        with pytest.raises(_refusal(who)):
            await container.delete_review()(actor, review.id)
        assert await container.get_review()(actor, review.id) == review


async def test_anonymous_is_asked_to_log_in_before_being_told_a_review_is_missing(container, cast):
    with pytest.raises(AuthenticationError):
        await container.update_review()(ANONYMOUS, 999, ReviewChanges(body="x"))
    with pytest.raises(AuthenticationError):
        await container.delete_review()(ANONYMOUS, 999)
