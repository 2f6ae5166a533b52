"""/reviews/ over HTTP: every method, its body shape, every filter, pagination and body formats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.reviews_clinic import STARS

VALID_RATINGS = "Valid choices: 1 to 5, as a number or as stars (\u2b50)."

ALREADY = {"non_field_errors": ["You have already reviewed this doctor."]}
FIELDS = {"id", "reviewer", "doctor_name", "body", "created_on", "rating", "doctor"}


async def _create(api, caller, doctor_id: int, rating=4, body: str = "Kind and careful.") -> dict:
    response = await api.post("/reviews/", json={"doctor": doctor_id, "body": body, "rating": rating},
                              headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _today() -> set[str]:
    # The server's clock runs in UTC; a test straddling midnight may see either day.
    return {datetime.now(UTC).date().isoformat()}


async def test_create_answers_the_review_in_the_guides_shape(api, clinic):
    before = _today()
    response = await api.post("/reviews/", json={"doctor": clinic.ada.doctor_id, "body": "Kind and careful.",
                                                 "rating": STARS[5]}, headers=clinic.author.headers)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    assert body["created_on"] in before | _today()
    assert body == {"id": body["id"], "reviewer": "Alan Turing", "doctor_name": "Ada Lovelace",
                    "body": "Kind and careful.", "created_on": body["created_on"], "rating": STARS[5],
                    "doctor": clinic.ada.doctor_id}


@pytest.mark.parametrize(("rating", "stars"), [(STARS[3], 3), (3, 3), ("3", 3), (1, 1), ("\u2b50\ufe0f" * 2, 2)])
async def test_a_rating_comes_as_stars_or_integer_and_goes_out_as_stars(api, clinic, rating, stars):
    assert (await _create(api, clinic.author, clinic.ada.doctor_id, rating=rating))["rating"] == STARS[stars]


@pytest.mark.parametrize("content", ["form", "multipart"])
async def test_create_accepts_forms_too(api, clinic, content):
    fields = {"doctor": str(clinic.ada.doctor_id), "body": "Sent as a form.", "rating": STARS[2]}
    if content == "form":
        response = await api.post("/reviews/", data=fields, headers=clinic.author.headers)
    else:
        response = await api.post("/reviews/", data=fields, files={"unused": ("a.txt", b"x")},
                                  headers=clinic.author.headers)
    assert response.status_code == 201, response.text
    assert (response.json()["body"], response.json()["rating"]) == ("Sent as a form.", STARS[2])


async def test_the_reviewer_is_the_caller_whatever_the_body_says(api, clinic):
    response = await api.post("/reviews/", json={"doctor": clinic.ada.doctor_id, "body": "Me.", "rating": 4,
                                                 "reviewer": clinic.other.actor.patient_id, "reviwer": 1, "id": 77},
                              headers=clinic.author.headers)
    assert response.status_code == 201
    assert response.json()["reviewer"] == "Alan Turing"
    assert response.json()["id"] != 77


async def test_a_second_review_of_the_same_doctor_is_a_400(api, clinic):
    await _create(api, clinic.author, clinic.ada.doctor_id)
    response = await api.post("/reviews/", json={"doctor": clinic.ada.doctor_id, "body": "Again.", "rating": 1},
                              headers=clinic.author.headers)
    assert (response.status_code, response.json()) == (400, ALREADY)
    assert (await api.get("/reviews/")).json()["count"] == 1


@pytest.mark.parametrize(("body", "errors"), [
    ({"doctor": 999, "body": "x", "rating": 3}, {"doctor": ['Invalid pk "999" - object does not exist.']}),
    ({"body": "x", "rating": 3}, {"doctor": ["This field is required."]}),
    ({"doctor": "abc", "body": "x", "rating": 3}, {"doctor": ["A valid integer is required."]}),
    ({"doctor": 1, "rating": 3}, {"body": ["This field is required."]}),
    ({"doctor": 1, "body": "  ", "rating": 3}, {"body": ["This field may not be blank."]}),
    ({"doctor": 1, "body": "x"}, {"rating": ["This field is required."]}),
    ({"doctor": 1, "body": "x", "rating": 6}, {"rating": [f'"6" is not a valid choice. {VALID_RATINGS}']}),
    ({"doctor": 1, "body": "x", "rating": STARS[3] * 2},
     {"rating": [f'"{STARS[3] * 2}" is not a valid choice. {VALID_RATINGS}']}),
])
async def test_create_refuses_bad_fields_by_name(api, clinic, body, errors):
    response = await api.post("/reviews/", json=body, headers=clinic.author.headers)
    assert (response.status_code, response.json()) == (400, errors)
    assert (await api.get("/reviews/")).json()["count"] == 0


async def test_get_one_review_with_and_without_the_trailing_slash(api, clinic):
    created = await _create(api, clinic.author, clinic.ada.doctor_id)
    for path in (f"/reviews/{created['id']}/", f"/reviews/{created['id']}"):
        response = await api.get(path)
        assert (response.status_code, response.json()) == (200, created)


@pytest.mark.parametrize("path", ["/reviews/999/", "/reviews/0/", "/reviews/-1/", "/reviews/99999999999999/"])
async def test_an_unknown_review_is_a_404(api, clinic, path):
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await api.request(method, path, json={"doctor": 1, "body": "x", "rating": 1},
                                     headers=clinic.admin.headers)
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."}), method


async def test_put_replaces_every_field(api, clinic):
    created = await _create(api, clinic.author, clinic.ada.doctor_id)
    response = await api.put(f"/reviews/{created['id']}/", json={
        "doctor": clinic.grace.doctor_id, "body": "Moved to Grace.", "rating": STARS[1]}, headers=clinic.author.headers)
    assert response.status_code == 200
    assert response.json() == {**created, "doctor": clinic.grace.doctor_id, "doctor_name": "Grace Hopper",
                               "body": "Moved to Grace.", "rating": STARS[1]}
    assert (await api.get(f"/reviews/{created['id']}")).json() == response.json()


async def test_put_needs_every_field(api, clinic):
    created = await _create(api, clinic.author, clinic.ada.doctor_id)
    response = await api.put(f"/reviews/{created['id']}", json={"body": "Only this."}, headers=clinic.author.headers)
    assert response.status_code == 400
    assert set(response.json()) == {"doctor", "rating"}  # every missing field is named at once
    assert (await api.get(f"/reviews/{created['id']}")).json() == created


@pytest.mark.parametrize(("change", "expected"), [
    ({"rating": 2}, {"rating": STARS[2]}),
    ({"rating": STARS[1]}, {"rating": STARS[1]}),
    ({"body": "Just the words."}, {"body": "Just the words."}),
    ({}, {}),
])
async def test_patch_changes_only_what_is_sent(api, clinic, change, expected):
    created = await _create(api, clinic.author, clinic.ada.doctor_id)
    response = await api.patch(f"/reviews/{created['id']}/", json=change, headers=clinic.author.headers)
    assert (response.status_code, response.json()) == (200, {**created, **expected})


async def test_patch_to_a_doctor_already_reviewed_is_a_400_and_changes_nothing(api, clinic):
    of_ada = await _create(api, clinic.author, clinic.ada.doctor_id)
    await _create(api, clinic.author, clinic.grace.doctor_id)
    response = await api.patch(f"/reviews/{of_ada['id']}", json={"doctor": clinic.grace.doctor_id, "body": "Moved."},
                               headers=clinic.author.headers)
    assert (response.status_code, response.json()) == (400, ALREADY)
    assert (await api.get(f"/reviews/{of_ada['id']}")).json() == of_ada


async def test_delete_answers_204_with_no_body_and_the_review_is_gone(api, clinic):
    created = await _create(api, clinic.author, clinic.ada.doctor_id)
    response = await api.delete(f"/reviews/{created['id']}", headers=clinic.author.headers)
    assert (response.status_code, response.content) == (204, b"")
    assert (await api.get(f"/reviews/{created['id']}/")).status_code == 404


# --- the list -------------------------------------------------------------------------------------

@pytest.fixture
async def four(api, clinic) -> list[dict]:
    """Alan on Ada (5) and Grace (2); Edsger on Ada (2) and Grace (4)."""
    return [
        await _create(api, clinic.author, clinic.ada.doctor_id, rating=5),
        await _create(api, clinic.author, clinic.grace.doctor_id, rating=2),
        await _create(api, clinic.other, clinic.ada.doctor_id, rating=2),
        await _create(api, clinic.other, clinic.grace.doctor_id, rating=4),
    ]


async def test_the_list_is_paginated_in_the_guides_shape_for_anyone(api, four):
    for path in ("/reviews/", "/reviews"):
        response = await api.get(path)
        assert response.status_code == 200
        assert response.json() == {"count": 4, "next": None, "previous": None, "results": four}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [review["id"] for review in response.json()["results"]]


async def test_filter_by_doctor(api, clinic, four):
    a1, _, e1, _ = (review["id"] for review in four)
    assert _ids(await api.get("/reviews/", params={"doctor": clinic.ada.doctor_id})) == [a1, e1]
    assert _ids(await api.get("/reviews/", params={"doctor": 999})) == []


@pytest.mark.parametrize("name", ["reviwer", "reviewer"])
async def test_filter_by_reviewer_in_either_spelling(api, clinic, four, name):
    _, _, e1, e2 = (review["id"] for review in four)
    assert _ids(await api.get("/reviews/", params={name: clinic.other.actor.patient_id})) == [e1, e2]


async def test_the_guides_spelling_wins_when_both_are_sent(api, clinic, four):
    a1, a2, _, _ = (review["id"] for review in four)
    params = {"reviwer": clinic.author.actor.patient_id, "reviewer": clinic.other.actor.patient_id}
    assert _ids(await api.get("/reviews/", params=params)) == [a1, a2]


@pytest.mark.parametrize("rating", [STARS[2], "2", "\u2b50\ufe0f\u2b50"])
async def test_filter_by_rating_as_stars_or_number(api, four, rating):
    _, a2, e1, _ = (review["id"] for review in four)
    assert _ids(await api.get("/reviews/", params={"rating": rating})) == [a2, e1]


@pytest.mark.parametrize(("search", "who"), [
    ("lovelace", "ada"), ("ADA", "ada"), ("hop", "grace"), ("turing", "alan"), ("edsg", "edsger"), ("zzz", "none"),
])
async def test_search_over_doctor_and_reviewer_names(api, four, search, who):
    a1, a2, e1, e2 = (review["id"] for review in four)
    wanted = {"ada": [a1, e1], "grace": [a2, e2], "alan": [a1, a2], "edsger": [e1, e2], "none": []}
    assert _ids(await api.get("/reviews/", params={"search": search})) == wanted[who]


async def test_filters_combine(api, clinic, four):
    _, a2, _, _ = (review["id"] for review in four)
    params = {"rating": "2", "search": "turing", "doctor": clinic.grace.doctor_id}
    assert _ids(await api.get("/reviews/", params=params)) == [a2]


@pytest.mark.parametrize("name", ["doctor", "reviwer", "reviewer", "rating", "search"])
async def test_an_empty_filter_is_no_filter(api, four, name):
    assert len(_ids(await api.get(f"/reviews/?{name}="))) == 4


async def test_pages_link_to_each_other_and_keep_the_filters(api, clinic, four):
    first = await api.get("/reviews/", params={"limits": 1, "doctor": clinic.ada.doctor_id})
    assert first.json()["count"] == 2
    assert first.json()["previous"] is None
    second = await api.get(first.json()["next"])
    assert _ids(second) == [four[2]["id"]]
    assert second.json()["next"] is None
    assert f"doctor={clinic.ada.doctor_id}" in second.json()["previous"]
    assert (await api.get("/reviews/", params={"page": 9})).json() == {"detail": "Invalid page."}
