from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.actors import ANONYMOUS, Actor
from hospital.domain.errors import NotFoundError, ValidationError
from hospital.domain.profiles import ADDRESS_MAX, BIO_MAX, UserProfile
from hospital.domain.text import NULL_CHARACTERS

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
OWNER = Actor(user_id=1, patient_id=1)
STRANGER = Actor(user_id=2, patient_id=2)
ADMIN = Actor(user_id=3, is_staff=True)


def profile(**fields: object) -> UserProfile:
    return UserProfile.create(user_id=1, now=NOW, **fields)


def field_errors(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


def test_create_stamps_both_times_and_starts_empty() -> None:
    created = profile()
    assert (created.created_at, created.updated_at) == (NOW, NOW)
    assert (created.bio, created.address, created.date_of_birth, created.profile_picture) == ("", "", None, None)


def test_create_validates_like_update() -> None:
    assert list(field_errors(lambda: profile(bio="x" * (BIO_MAX + 1)))) == ["bio"]


def test_update_changes_the_fields_given_and_the_update_time_only() -> None:
    changed = profile(bio="old bio", address="1 Old Road")
    changed.update(now=LATER, bio="new bio", date_of_birth=date(1990, 5, 17), profile_picture="p/1.png")

    assert (changed.bio, changed.address) == ("new bio", "1 Old Road")
    assert changed.date_of_birth == date(1990, 5, 17)
    assert changed.profile_picture == "p/1.png"
    assert (changed.created_at, changed.updated_at) == (NOW, LATER)


def test_a_date_of_birth_can_be_cleared_but_not_by_leaving_it_out() -> None:
    changed = profile(date_of_birth=date(1990, 5, 17))
    changed.update(now=LATER, bio="still born")
    assert changed.date_of_birth == date(1990, 5, 17)

    changed.update(now=LATER, clear_date_of_birth=True)
    assert changed.date_of_birth is None


@given(st.integers(min_value=1, max_value=3650))
def test_a_date_of_birth_in_the_future_is_refused(days: int) -> None:
    future = NOW.date() + timedelta(days=days)
    assert field_errors(lambda: profile(date_of_birth=future)) == {
        "date_of_birth": ["Date of birth cannot be in the future."]
    }


def test_today_is_an_acceptable_date_of_birth() -> None:
    assert profile(date_of_birth=NOW.date()).date_of_birth == NOW.date()


def test_limits_on_bio_and_address() -> None:
    assert profile(bio="b" * BIO_MAX, address="a" * ADDRESS_MAX).address == "a" * ADDRESS_MAX
    errors = field_errors(lambda: profile(bio="b" * (BIO_MAX + 1), address="a" * (ADDRESS_MAX + 1)))
    assert errors == {
        "bio": [f"Ensure this field has no more than {BIO_MAX} characters."],
        "address": [f"Ensure this field has no more than {ADDRESS_MAX} characters."],
    }


def test_null_characters_are_refused() -> None:
    assert field_errors(lambda: profile(bio="a\x00b")) == {"bio": [NULL_CHARACTERS]}


def test_an_invalid_update_changes_nothing() -> None:
    changed = profile(bio="kept", address="kept")
    with pytest.raises(ValidationError):
        changed.update(now=LATER, bio="new", address="a" * (ADDRESS_MAX + 1), profile_picture="p/2.png")

    assert (changed.bio, changed.address, changed.profile_picture, changed.updated_at) == ("kept", "kept", None, NOW)


@pytest.mark.parametrize("actor", [OWNER, ADMIN])
def test_the_owner_and_admins_may_read_and_change_a_profile(actor: Actor) -> None:
    profile().ensure_readable_by(actor)
    profile().ensure_changeable_by(actor)


@pytest.mark.parametrize("actor", [STRANGER, ANONYMOUS, Actor(user_id=4, doctor_id=9)])
def test_to_anyone_else_a_profile_does_not_exist(actor: Actor) -> None:
    with pytest.raises(NotFoundError):
        profile().ensure_readable_by(actor)
    with pytest.raises(NotFoundError):
        profile().ensure_changeable_by(actor)


def test_staff_flag_without_a_user_is_not_an_admin() -> None:
    with pytest.raises(NotFoundError):
        profile().ensure_readable_by(Actor(user_id=None, is_staff=True))
