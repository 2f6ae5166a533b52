"""The review repository and read port keep one contract on the in-memory and SQLAlchemy adapters."""

from __future__ import annotations

from datetime import date

import pytest

from hospital.application.pagination import InvalidPageError, PageRequest
from hospital.application.ports.reviews import ReviewFilters, ReviewNames, ReviewView
from hospital.bootstrap import Container
from hospital.domain.reviews import AlreadyReviewedError, Rating, Review
from tests.support.actors import register
from tests.support.reviews_clinic import ReviewCast, add_doctor, open_clinic

DAY = date(2024, 5, 1)


@pytest.fixture
def container(any_container: Container) -> Container:
    return any_container


@pytest.fixture
async def cast(container) -> ReviewCast:
    return await open_clinic(container)


def _review(reviewer_id: int, doctor_id: int, rating: int = 4, body: str = "Kind.") -> Review:
    return Review.write(reviewer_id=reviewer_id, doctor_id=doctor_id, body=body, rating=rating, today=DAY,
                        already_reviewed=False)


async def _add(container, *reviews: Review) -> list[int]:
    async with container.unit_of_work() as uow:
        for review in reviews:
            await uow.reviews.add(review)
        await uow.commit()
    return [review.id for review in reviews]


async def _list(container, page: PageRequest | None = None, **filters) -> list[ReviewView]:
    async with container.unit_of_work() as uow:
        return list((await uow.review_views.list(ReviewFilters(**filters), page or PageRequest())).items)


# --- the repository -----------------------------------------------------------------------------

async def test_add_gives_an_id_and_get_returns_the_review_with_its_rating(container, cast):
    [review_id] = await _add(container, _review(cast.author.patient_id, cast.ada.doctor_id, rating=5))
    async with container.unit_of_work() as uow:
        stored = await uow.reviews.get(review_id)
    assert stored is not None
    assert (stored.id, stored.reviewer_id, stored.doctor_id, stored.body, stored.rating, stored.created_on) == (
        review_id, cast.author.patient_id, cast.ada.doctor_id, "Kind.", Rating(5), DAY)


async def test_get_of_an_unknown_id_is_none(container, cast):
    async with container.unit_of_work() as uow:
        assert await uow.reviews.get(999) is None
        assert await uow.review_views.get(999) is None


async def test_exists_is_per_reviewer_and_doctor(container, cast):
    await _add(container, _review(cast.author.patient_id, cast.ada.doctor_id))
    async with container.unit_of_work() as uow:
        assert await uow.reviews.exists(reviewer_id=cast.author.patient_id, doctor_id=cast.ada.doctor_id)
        assert not await uow.reviews.exists(reviewer_id=cast.author.patient_id, doctor_id=cast.grace.doctor_id)
        assert not await uow.reviews.exists(reviewer_id=cast.other.patient_id, doctor_id=cast.ada.doctor_id)


async def test_a_second_review_of_the_same_doctor_is_refused_by_the_store_itself(container, cast):
    await _add(container, _review(cast.author.patient_id, cast.ada.doctor_id))
    async with container.unit_of_work() as uow:
        with pytest.raises(AlreadyReviewedError):
            await uow.reviews.add(_review(cast.author.patient_id, cast.ada.doctor_id, body="Twin."))
    assert [view.body for view in await _list(container)] == ["Kind."]


async def test_save_keeps_edits_rating_included(container, cast):
    [review_id] = await _add(container, _review(cast.author.patient_id, cast.ada.doctor_id))
    async with container.unit_of_work() as uow:
        review = await uow.reviews.get(review_id)
        review.edit(cast.author, body="Better.", rating="\u2b50\u2b50", doctor_id=cast.grace.doctor_id)
        await uow.reviews.save(review)
        await uow.commit()
    async with container.unit_of_work() as uow:
        stored = await uow.reviews.get(review_id)
    assert (stored.body, stored.rating, stored.doctor_id) == ("Better.", Rating(2), cast.grace.doctor_id)


async def test_an_edit_not_committed_is_not_kept(container, cast):
    [review_id] = await _add(container, _review(cast.author.patient_id, cast.ada.doctor_id))
    async with container.unit_of_work() as uow:
        review = await uow.reviews.get(review_id)
        review.edit(cast.author, body="Never saved.")
        await uow.reviews.save(review)
    async with container.unit_of_work() as uow:
        assert (await uow.reviews.get(review_id)).body == "Kind."


async def test_save_that_would_make_a_twin_is_refused(container, cast):
    of_ada, _ = await _add(container, _review(cast.author.patient_id, cast.ada.doctor_id),
                           _review(cast.author.patient_id, cast.grace.doctor_id))
    async with container.unit_of_work() as uow:
        review = await uow.reviews.get(of_ada)
        review.doctor_id = cast.grace.doctor_id  # past the domain's check, as a racing twin would be
        with pytest.raises(AlreadyReviewedError):
            await uow.reviews.save(review)
    async with container.unit_of_work() as uow:
        assert (await uow.reviews.get(of_ada)).doctor_id == cast.ada.doctor_id


async def test_delete_removes_the_review(container, cast):
    [review_id] = await _add(container, _review(cast.author.patient_id, cast.ada.doctor_id))
    async with container.unit_of_work() as uow:
        await uow.reviews.delete(await uow.reviews.get(review_id))
        await uow.commit()
    async with container.unit_of_work() as uow:
        assert await uow.reviews.get(review_id) is None
        assert not await uow.reviews.exists(reviewer_id=cast.author.patient_id, doctor_id=cast.ada.doctor_id)


async def test_a_review_goes_with_its_doctor(container, cast):
    await _add(container, _review(cast.author.patient_id, cast.ada.doctor_id),
               _review(cast.author.patient_id, cast.grace.doctor_id))
    async with container.unit_of_work() as uow:
        await uow.doctors.delete(await uow.doctors.get(cast.ada.doctor_id))
        await uow.commit()
    assert [view.doctor_name for view in await _list(container)] == ["Grace Hopper"]


async def test_get_reads_the_names_its_change_answers_with_until_the_doctor_moves(container, cast):
    [review_id] = await _add(container, _review(cast.other.patient_id, cast.ada.doctor_id))
    async with container.unit_of_work() as uow:
        review = await uow.reviews.get(review_id)
        assert uow.reviews.names_loaded(review) == ReviewNames(reviewer="edsger", doctor="Ada Lovelace")
        review.body = "Kinder."
        await uow.reviews.save(review)
        assert ReviewView.of(review, uow.reviews.names_loaded(review)) == ReviewView(
            id=review_id, reviewer_id=cast.other.patient_id, reviewer="edsger", doctor=cast.ada.doctor_id,
            doctor_name="Ada Lovelace", body="Kinder.", created_on=DAY, rating=4)
        review.doctor_id = cast.grace.doctor_id
        assert uow.reviews.names_loaded(review) is None  # not read: the view is read instead
        assert uow.reviews.names_loaded(_review(cast.author.patient_id, cast.ada.doctor_id)) is None


# --- the read port ------------------------------------------------------------------------------

async def test_names_of_a_pair_are_read_without_a_review(container, cast):
    async with container.unit_of_work() as uow:
        views = uow.review_views
        assert await views.names(reviewer_id=cast.author.patient_id, doctor_id=cast.grace.doctor_id) == ReviewNames(
            reviewer="Alan Turing", doctor="Grace Hopper")
        assert await views.names(reviewer_id=cast.author.patient_id, doctor_id=999) is None
        assert await views.names(reviewer_id=999, doctor_id=cast.ada.doctor_id) == ReviewNames(
            reviewer="", doctor="Ada Lovelace")

async def test_a_view_names_the_reviewer_and_the_doctor(container, cast):
    named, unnamed = await _add(container, _review(cast.author.patient_id, cast.ada.doctor_id, rating=3),
                                _review(cast.other.patient_id, cast.ada.doctor_id))
    async with container.unit_of_work() as uow:
        view = await uow.review_views.get(named)
        assert view == ReviewView(
            id=named, reviewer_id=cast.author.patient_id, reviewer="Alan Turing", doctor=cast.ada.doctor_id,
            doctor_name="Ada Lovelace", body="Kind.", created_on=DAY, rating=3,
        )
        assert view.stars == "\u2b50" * 3
        assert (await uow.review_views.get(unnamed)).reviewer == "edsger"


async def test_a_doctor_without_names_is_shown_by_username(container, cast):
    nameless = await add_doctor(container, "drnobody")
    [review_id] = await _add(container, _review(cast.author.patient_id, nameless.doctor_id))
    async with container.unit_of_work() as uow:
        assert (await uow.review_views.get(review_id)).doctor_name == "drnobody"


async def test_a_name_with_only_a_last_name_has_no_stray_space(container, cast):
    plain = await register(container, "plain", last_name="Dijkstra")
    [review_id] = await _add(container, _review(plain.patient_id, cast.ada.doctor_id))
    async with container.unit_of_work() as uow:
        assert (await uow.review_views.get(review_id)).reviewer == "Dijkstra"


@pytest.fixture
async def four(container, cast) -> list[int]:
    """Alan on Ada (5) and Grace (2); Edsger on Ada (2) and Grace (4)."""
    return await _add(
        container,
        _review(cast.author.patient_id, cast.ada.doctor_id, rating=5),
        _review(cast.author.patient_id, cast.grace.doctor_id, rating=2),
        _review(cast.other.patient_id, cast.ada.doctor_id, rating=2),
        _review(cast.other.patient_id, cast.grace.doctor_id, rating=4),
    )


async def test_the_list_is_ordered_by_id(container, four):
    assert [view.id for view in await _list(container)] == sorted(four)


async def test_filters_narrow_the_list_and_combine(container, cast, four):
    a1, a2, e1, e2 = four
    assert [v.id for v in await _list(container, doctor_id=cast.ada.doctor_id)] == [a1, e1]
    assert [v.id for v in await _list(container, reviewer_id=cast.other.patient_id)] == [e1, e2]
    assert [v.id for v in await _list(container, rating=2)] == [a2, e1]
    assert [v.id for v in await _list(container, rating=2, doctor_id=cast.grace.doctor_id)] == [a2]
    assert await _list(container, doctor_id=999) == []
    assert await _list(container, rating=1) == []


@pytest.mark.parametrize(("search", "expected"), [
    ("ada", "ada"), ("LOVELACE", "ada"), ("grac", "grace"), ("Hopper", "grace"),   # doctor's names
    ("alan", "alan"), ("TURING", "alan"), ("edsg", "edsger"),                        # reviewer's names
    ("a", "all"), ("nobody", "none"), ("%", "none"), ("_", "none"), ("' OR 1=1 --", "none"),
    ("Ada Lovelace", "none"),  # one substring of one name, not of the full name
])
async def test_search_is_a_case_insensitive_substring_of_any_name(container, cast, four, search, expected):
    a1, a2, e1, e2 = four
    wanted = {"ada": [a1, e1], "grace": [a2, e2], "alan": [a1, a2], "edsger": [e1, e2], "all": four, "none": []}
    assert [view.id for view in await _list(container, search=search)] == wanted[expected]


async def test_search_takes_percent_and_underscore_literally(container, cast):
    odd = await add_doctor(container, "dr_odd", first_name="100%", last_name="Sure")
    plain = await add_doctor(container, "drxodd", first_name="100 and more")
    ids = await _add(container, _review(cast.author.patient_id, odd.doctor_id),
                     _review(cast.author.patient_id, plain.doctor_id))
    assert [view.id for view in await _list(container, search="100%")] == ids[:1]
    assert [view.id for view in await _list(container, search="dr_")] == ids[:1]
    assert await _list(container, search="\\") == []


async def test_search_ignores_case_beyond_ascii(container, cast):
    doctor = await add_doctor(container, "drz", first_name="Zo\u00eb", last_name="\u00c7elik")
    [review_id] = await _add(container, _review(cast.author.patient_id, doctor.doctor_id))
    for search in ("\u00c7eli", "\u00e7ELI", "ZO\u00cb", "o\u00eb"):
        assert [view.id for view in await _list(container, search=search)] == [review_id], search
    assert await _list(container, search="zoe") == []  # no accent folding


async def test_pages_hold_the_window_and_the_total(container, four):
    async with container.unit_of_work() as uow:
        page = await uow.review_views.list(ReviewFilters(), PageRequest(page=2, limit=3))
        assert ([view.id for view in page.items], page.total) == ([four[3]], 4)
        filtered = await uow.review_views.list(ReviewFilters(rating=2), PageRequest(page=1, limit=1))
        assert ([view.id for view in filtered.items], filtered.total) == ([four[1]], 2)
        searched = await uow.review_views.list(ReviewFilters(search="grace"), PageRequest(page=1, limit=1))
        assert searched.total == 2
        with pytest.raises(InvalidPageError):
            await uow.review_views.list(ReviewFilters(), PageRequest(page=3, limit=3))

