"""Hostile or odd input to /reviews/ gives a sane 200 or 400 in the documented shape, never a 500."""

from __future__ import annotations

import pytest

from tests.support.reviews_clinic import STARS

ODD = ["' OR 1=1 --", "%", "_", "%%", "\\", "\u00c7elik \u2b50 \u65e5\u672c", "\u0000", "a\u0000", " ", "",
       "1; DROP TABLE reviews", "9" * 30, "-1", "1.5", "0x10", "\u0661", "1_0", "\U0001f600", "a" * 1000]


@pytest.fixture
async def review(api, clinic) -> dict:
    response = await api.post("/reviews/", json={"doctor": clinic.ada.doctor_id, "body": "Kind.", "rating": 4},
                              headers=clinic.author.headers)
    assert response.status_code == 201
    return response.json()


def _sane(response) -> None:
    assert response.status_code in (200, 400), (response.status_code, response.text)
    body = response.json()
    if response.status_code == 400:
        assert body and all(isinstance(messages, list) and messages for messages in body.values()), body
    else:
        assert set(body) == {"count", "next", "previous", "results"}


@pytest.mark.parametrize("value", ODD)
async def test_search_takes_any_text_literally(api, review, value):
    response = await api.get("/reviews/", params={"search": value})
    _sane(response)
    if "\u0000" in value:
        # SQLite would end the pattern at the NUL and match everything; PostgreSQL refuses it.
        assert response.json() == {"search": ["Null characters are not allowed."]}
    else:
        # Nothing in these strings is a substring of a name; a blank search is no search.
        assert response.json()["count"] == (1 if value.strip() == "" else 0), value


@pytest.mark.parametrize("name", ["doctor", "reviwer", "reviewer"])
@pytest.mark.parametrize("value", ODD)
async def test_id_filters_take_only_integers(api, review, name, value):
    response = await api.get("/reviews/", params={name: value})
    _sane(response)
    if value in ("", "-1"):
        assert response.status_code == 200
    elif response.status_code == 400:
        assert response.json() == {name: ["A valid integer is required."]}
    else:
        pytest.fail(f"{value!r} was taken as an id")


@pytest.mark.parametrize("value", ODD)
async def test_the_rating_filter_takes_only_ratings(api, review, value):
    response = await api.get("/reviews/", params={"rating": value})
    _sane(response)
    assert response.status_code == (200 if value == "" else 400), value


async def test_every_bad_filter_is_reported_at_once(api, review):
    response = await api.get("/reviews/", params={"doctor": "x", "reviwer": "y"})
    assert (response.status_code, set(response.json())) == (400, {"doctor", "reviwer"})


@pytest.mark.parametrize("value", ODD)
async def test_odd_bodies_are_stored_as_written_or_refused(api, clinic, value):
    response = await api.post("/reviews/", json={"doctor": clinic.ada.doctor_id, "body": value, "rating": 3},
                              headers=clinic.author.headers)
    if "\u0000" in value:
        assert (response.status_code, response.json()) == (400, {"body": ["Null characters are not allowed."]})
    elif not value.strip():
        assert (response.status_code, response.json()) == (400, {"body": ["This field may not be blank."]})
    else:
        assert (response.status_code, response.json()["body"]) == (201, value.strip())


@pytest.mark.parametrize("value", [*ODD, None, [], {}, 3.5, True, -3, 10**30, [STARS[1]]])
async def test_odd_ratings_and_doctors_in_a_body_are_400s(api, clinic, review, value):
    for field in ("rating", "doctor"):
        fields = {"doctor": clinic.grace.doctor_id, "body": "Fine.", "rating": 3, field: value}
        response = await api.post("/reviews/", json=fields, headers=clinic.author.headers)
        assert response.status_code == 400, (field, value, response.text)
        assert set(response.json()) == {field}, response.json()
        patched = await api.patch(f"/reviews/{review['id']}", json={field: value}, headers=clinic.author.headers)
        assert (patched.status_code, set(patched.json())) == (400, {field}), (field, value, patched.text)
    assert (await api.get("/reviews/")).json()["results"] == [review]


BROKEN_JSON = [
    b"", b"{", b"[]", b"null", b'"text"', b"[" * 100, b'{"doctor": 1e999}',
    b'{"doctor": 1, "body": "ok\xff", "rating": 3}',  # not UTF-8
    b'{"doctor": 1, "body": "\\ud800", "rating": 3}',  # half a surrogate pair
]


@pytest.mark.parametrize("raw", BROKEN_JSON)
async def test_broken_json_bodies_are_400s(api, clinic, raw):
    response = await api.post("/reviews/", content=raw, headers={**clinic.author.headers,
                                                                   "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert (await api.get("/reviews/")).json()["count"] == 0
