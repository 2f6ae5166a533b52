from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.errors import ConflictError, ValidationError
from hospital.domain.text import NULL_CHARACTERS
from hospital.domain.users import (
    EMAIL_MAX,
    NAME_MAX,
    USERNAME_MAX,
    USERNAME_TAKEN,
    User,
    normalize_email,
    normalize_name,
    normalize_username,
    username_taken,
)

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
INVALID_USERNAME = ("Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
                    "characters.")
USERNAME_CHARACTERS = string.ascii_letters + string.digits + "@.+-_" + "éßЖ漢"


def registered(**overrides: object) -> User:
    fields = {"username": "alice", "email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell",
              "password_hash": "hash", "joined_at": NOW}
    return User.register(**{**fields, **overrides})


def field_errors(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


# --- usernames --------------------------------------------------------------------------------------

@given(st.text(alphabet=USERNAME_CHARACTERS, min_size=1, max_size=USERNAME_MAX))
def test_any_username_of_letters_digits_and_at_dot_plus_minus_underscore_is_kept(username: str) -> None:
    assert normalize_username(username) == username


@given(st.text(alphabet=USERNAME_CHARACTERS, min_size=1, max_size=20),
       st.sampled_from(" !#$%&*()/\\'\"<>?;:,=~`\t"), st.data())
def test_a_username_with_any_other_character_inside_is_refused(username: str, odd: str, data) -> None:
    position = data.draw(st.integers(0, len(username)))
    spoiled = username[:position] + odd + username[position:]
    if spoiled.strip() != spoiled:
        spoiled = f"a{spoiled}a"  # surrounding whitespace is trimmed, not refused

    assert field_errors(lambda: normalize_username(spoiled)) == {"username": [INVALID_USERNAME]}


def test_username_is_trimmed() -> None:
    assert normalize_username("  bob \n") == "bob"


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_username_is_refused(blank: str) -> None:
    assert field_errors(lambda: normalize_username(blank)) == {"username": ["This field may not be blank."]}


def test_usernames_are_limited_to_150_characters() -> None:
    assert normalize_username("a" * USERNAME_MAX) == "a" * USERNAME_MAX
    assert field_errors(lambda: normalize_username("a" * (USERNAME_MAX + 1))) == {
        "username": ["Ensure this field has no more than 150 characters."]
    }


def test_a_null_character_is_refused_in_every_text_field() -> None:
    assert field_errors(lambda: normalize_username("al\x00ice")) == {"username": [NULL_CHARACTERS]}
    assert field_errors(lambda: normalize_email("a\x00@example.com")) == {"email": [NULL_CHARACTERS]}
    assert field_errors(lambda: normalize_name("A\x00", "first_name")) == {"first_name": [NULL_CHARACTERS]}


def test_taken_usernames_are_refused_as_a_conflict_on_the_username() -> None:
    error = username_taken()
    assert isinstance(error, ConflictError)
    assert error.errors == {"username": [USERNAME_TAKEN]}
    assert USERNAME_TAKEN == "A user with that username already exists."


# --- emails -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("email", ["a@b.co", "first.last+tag@mail.example.org", "ö@exämple.de"])
def test_valid_emails_are_kept(email: str) -> None:
    assert normalize_email(email) == email


def test_the_email_domain_is_lowercased_but_not_the_local_part() -> None:
    assert normalize_email("  John.Smith@Example.COM ") == "John.Smith@example.com"


@pytest.mark.parametrize("email", ["plain", "@example.com", "a@", "a@b", "a b@example.com", "a@b@c.com",
                                   "a@example.", "a@.com."])
def test_invalid_emails_are_refused(email: str) -> None:
    assert field_errors(lambda: normalize_email(email)) == {"email": ["Enter a valid email address."]}


@pytest.mark.parametrize("email", ["", "  ", "\t\n"])
def test_an_email_is_required(email: str) -> None:
    assert field_errors(lambda: normalize_email(email)) == {"email": ["This field may not be blank."]}


@given(st.text(max_size=30) | st.emails())
def test_property_an_email_is_refused_or_a_valid_non_blank_address_normalised_once(text: str) -> None:
    """Whatever is written: a ValidationError on ``email`` alone, or an address that is not blank,
    has one @ and no white space, is at most 254 characters, and normalises to itself."""
    try:
        email = normalize_email(text)
    except ValidationError as error:
        assert list(error.errors) == ["email"]
        return
    assert email and email.count("@") == 1 and not any(character.isspace() for character in email)
    assert len(email) <= EMAIL_MAX
    assert normalize_email(email) == email


def test_emails_are_limited_to_254_characters() -> None:
    longest = "a" * (EMAIL_MAX - len("@example.com")) + "@example.com"
    assert normalize_email(longest) == longest
    assert field_errors(lambda: normalize_email("a" + longest)) == {
        "email": ["Ensure this field has no more than 254 characters."]
    }


# --- names ------------------------------------------------------------------------------------------

def test_names_are_trimmed_and_limited_to_150_characters() -> None:
    assert normalize_name("  Ada ", "first_name") == "Ada"
    assert normalize_name("x" * NAME_MAX, "last_name") == "x" * NAME_MAX
    assert field_errors(lambda: normalize_name("x" * (NAME_MAX + 1), "last_name")) == {
        "last_name": ["Ensure this field has no more than 150 characters."]
    }


# --- the User entity --------------------------------------------------------------------------------

def test_register_normalises_every_field_and_starts_active_at_token_version_zero() -> None:
    user = registered(username=" alice ", email="alice@EXAMPLE.com", first_name=" Alice ")

    assert (user.username, user.email, user.first_name) == ("alice", "alice@example.com", "Alice")
    assert user.is_active and not user.is_staff
    assert user.date_joined == NOW
    assert user.token_version == 0
    assert user.id is None and user.last_login is None


def test_register_reports_every_bad_field_at_once() -> None:
    errors = field_errors(lambda: registered(username="bad name", email="nope", first_name="x" * 151,
                                             last_name="y" * 151))
    assert set(errors) == {"username", "email", "first_name", "last_name"}


def test_register_can_make_an_admin() -> None:
    assert registered(is_staff=True).is_staff


def test_names_for_display() -> None:
    assert registered().full_name == "Alice Liddell"
    assert registered(first_name="", last_name="").display_name == "alice"
    assert registered(last_name="").display_name == "Alice"


def test_rename_changes_only_the_fields_given() -> None:
    user = registered()
    user.rename(email="new@Example.org")
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "alice", "new@example.org", "Alice", "Liddell")


@pytest.mark.parametrize("email", ["", "   "])
def test_register_requires_an_email(email: str) -> None:
    assert field_errors(lambda: registered(email=email)) == {"email": ["This field may not be blank."]}


@pytest.mark.parametrize("email", ["", "   "])
def test_rename_may_not_blank_the_email_and_then_changes_nothing(email: str) -> None:
    user = registered()
    errors = field_errors(lambda: user.rename(email=email, first_name="Al"))

    assert errors == {"email": ["This field may not be blank."]}
    assert (user.email, user.first_name) == ("alice@example.com", "Alice")


def test_rename_changes_nothing_when_any_field_is_invalid() -> None:
    user = registered()
    errors = field_errors(lambda: user.rename(username="alicia", email="not-an-email", first_name="Al"))

    assert list(errors) == ["email"]
    assert (user.username, user.email, user.first_name) == ("alice", "alice@example.com", "Alice")


def test_a_password_change_and_a_deactivation_each_invalidate_earlier_tokens() -> None:
    user = registered()
    user.change_password("new-hash")
    assert (user.password_hash, user.token_version) == ("new-hash", 1)

    user.deactivate()
    assert not user.is_active
    assert user.token_version == 2


def test_a_login_records_the_time_and_a_rehash_keeps_tokens_valid() -> None:
    user = registered()
    user.logged_in(NOW)
    assert (user.last_login, user.password_hash) == (NOW, "hash")

    user.logged_in(NOW, rehashed="stronger-hash")
    assert user.password_hash == "stronger-hash"
    assert user.token_version == 0
