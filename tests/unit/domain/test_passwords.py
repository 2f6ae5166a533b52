from __future__ import annotations

import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hospital.domain.errors import ValidationError
from hospital.domain.passwords import MIN_LENGTH, password_problems, validate_password, validate_password_pair

TOO_SHORT = "This password is too short. It must contain at least 8 characters."
NUMERIC = "This password is entirely numeric."
COMMON = "This password is too common."
GOOD = "Correct-Horse-Battery-9"
COMMON_PASSWORDS = ["password", "123456789", "qwertyuiop", "iloveyou", "PassWord", " password1 "]
# Letters a username could be made of and passwords that are certainly not in the common list.
NAME_LETTERS = string.ascii_lowercase


def similar_to(label: str) -> str:
    return f"The password is too similar to the {label}."


@given(st.text(max_size=MIN_LENGTH - 1))
def test_any_password_shorter_than_eight_characters_is_refused(password: str) -> None:
    assert TOO_SHORT in password_problems(password)


@given(st.text(alphabet=string.digits, min_size=1, max_size=64))
def test_any_all_digit_password_is_refused(password: str) -> None:
    assert NUMERIC in password_problems(password)


@given(st.sampled_from(COMMON_PASSWORDS))
def test_a_common_password_is_refused_whatever_its_case_and_surrounding_spaces(password: str) -> None:
    assert COMMON in password_problems(password)


@given(st.text(alphabet=NAME_LETTERS, min_size=4, max_size=30), st.text(alphabet="0123456789!#", max_size=2))
def test_a_password_built_from_the_username_is_refused(username: str, suffix: str) -> None:
    password = username.capitalize() + suffix

    assert similar_to("username") in password_problems(password, username=username)


@given(st.text(alphabet=NAME_LETTERS + string.digits + "-!", min_size=MIN_LENGTH, max_size=40))
def test_long_enough_passwords_with_a_letter_that_are_not_common_pass(password: str) -> None:
    assume(any(c.isalpha() for c in password))
    assume(password.lower() not in {p.strip().lower() for p in COMMON_PASSWORDS})
    problems = password_problems(password)
    assert TOO_SHORT not in problems and NUMERIC not in problems
    assert problems in ([], [COMMON])


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_the_policy_never_fails_on_any_input(password: str, username: str) -> None:
    assert isinstance(password_problems(password, username=username, email=username), list)


def test_a_good_password_passes() -> None:
    assert password_problems(GOOD, username="alice", email="alice@example.com", first_name="Alice",
                             last_name="Liddell") == []
    validate_password(GOOD, username="alice")


@pytest.mark.parametrize(("attribute", "value", "password", "label"), [
    ("username", "alice", "alice123", "username"),
    ("email", "john.smith@example.com", "Smith2024", "email address"),  # a part of the email
    ("email", "zoe@example.com", "zoe@example.com1", "email address"),
    ("first_name", "Bartholomew", "bartholomew!", "first name"),
    ("last_name", "Featherstonehaugh", "featherstonehaugh", "last name"),
])
def test_similarity_is_checked_against_every_user_attribute(attribute: str, value: str, password: str,
                                                            label: str) -> None:
    assert similar_to(label) in password_problems(password, **{attribute: value})


def test_similarity_reports_only_the_first_similar_attribute() -> None:
    problems = password_problems("alicealice", username="alicealice", first_name="alicealice")
    assert problems == [similar_to("username")]


def test_a_short_attribute_inside_a_long_password_is_not_similar() -> None:
    # Django skips parts far shorter than the password: "al" cannot make "al-the-very-long-one" similar.
    assert password_problems("al-the-very-long-one-x", username="al") == []


def test_an_anagram_of_the_username_is_too_similar_as_in_django() -> None:
    # Django compares with quick_ratio(), which ignores order.
    assert similar_to("username") in password_problems("eilcamax", username="malice")


def test_every_broken_rule_is_reported_in_djangos_order() -> None:
    assert password_problems("1234", username="1234") == [similar_to("username"), TOO_SHORT, COMMON, NUMERIC]


def test_validate_password_files_the_problems_under_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_password("short", field="new_password")
    assert caught.value.errors == {"new_password": [TOO_SHORT]}


def test_a_mismatched_confirmation_is_refused_on_confirm_password() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_password_pair(GOOD, GOOD + "x")
    assert caught.value.errors == {"confirm_password": ["Passwords do not match."]}


def test_a_matching_pair_is_still_checked_against_the_policy() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_password_pair("wanderer42!", "wanderer42!", username="wanderer42")
    assert caught.value.errors == {"password": [similar_to("username")]}
    validate_password_pair(GOOD, GOOD, username="alice")
