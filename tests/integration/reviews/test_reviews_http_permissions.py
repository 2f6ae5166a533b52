"""Every method of /reviews/ for every kind of caller: anonymous, the author, another patient,
the reviewed doctor and an admin."""

from __future__ import annotations

import pytest

from tests.support.reviews_clinic import STARS

NO_CREDENTIALS = "Authentication credentials were not provided."
CALLERS = ["anonymous", "author", "other", "ada_doctor", "admin"]
# Reviews are public, so a caller who may not change one is told 403, never 404.
CHANGE = {"anonymous": 401, "author": None, "other": 403, "ada_doctor": 403, "admin": None}


@pytest.fixture
async def review(api, clinic) -> dict:
    """Alan's review of Ada."""
    response = await api.post("/reviews/", json={"doctor": clinic.ada.doctor_id, "body": "Kind.", "rating": 4},
                              headers=clinic.author.headers)
    assert response.status_code == 201
    return response.json()


@pytest.mark.parametrize("who", CALLERS)
async def test_anyone_lists_and_reads(api, clinic, review, who):
    headers = getattr(clinic, who).headers
    listed = await api.get("/reviews/", headers=headers)
    assert (listed.status_code, listed.json()["results"]) == (200, [review])
    one = await api.get(f"/reviews/{review['id']}/", headers=headers)
    assert (one.status_code, one.json()) == (200, review)


@pytest.mark.parametrize("who", CALLERS)
async def test_create_needs_a_login_and_makes_the_caller_the_reviewer(api, clinic, who):
    caller = getattr(clinic, who)
    response = await api.post("/reviews/", json={"doctor": clinic.grace.doctor_id, "body": "Sharp.", "rating": 5},
                              headers=caller.headers)
    if who == "anonymous":
        assert (response.status_code, response.json()) == (401, {"detail": NO_CREDENTIALS})
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert (await api.get("/reviews/")).json()["count"] == 0
    else:
        assert response.status_code == 201
        assert (await api.get("/reviews/", params={"reviwer": caller.actor.patient_id})).json()["count"] == 1


def _refused(response, who: str, status: int) -> None:
    assert response.status_code == status, response.text
    detail = NO_CREDENTIALS if status == 401 else "You do not have permission to perform this action."
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("who", CALLERS)
async def test_only_the_author_or_an_admin_updates(api, clinic, review, who, method):
    change = {"doctor": clinic.ada.doctor_id, "body": "Rewritten.", "rating": STARS[1]}
    response = await api.request(method, f"/reviews/{review['id']}/", json=change, headers=getattr(clinic, who).headers)
    if CHANGE[who] is None:
        assert (response.status_code, response.json()) == (200, {**review, "body": "Rewritten.", "rating": STARS[1]})
    else:
        _refused(response, who, CHANGE[who])
        assert (await api.get(f"/reviews/{review['id']}/")).json() == review


@pytest.mark.parametrize("who", CALLERS)
async def test_only_the_author_or_an_admin_deletes(api, clinic, review, who):
    response = await api.delete(f"/reviews/{review['id']}", headers=getattr(clinic, who).headers)
    if CHANGE[who] is None:
        assert response.status_code == 204
        assert (await api.get(f"/reviews/{review['id']}/")).status_code == 404
    else:
        _refused(response, who, CHANGE[who])
        assert (await api.get(f"/reviews/{review['id']}/")).json() == review


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}])
async def test_a_bad_token_is_a_401_even_where_anonymous_may_read(api, review, headers):
    response = await api.get("/reviews/", headers=headers)
    assert response.status_code == 401
