import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.contacts import Contact
from hospital.domain.errors import ValidationError

BAD_PHONE = "Enter a valid phone number: digits and an optional leading +."


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


def make() -> Contact:
    return Contact.create(name="Ada", phone="+8801711", massage="Please call me back.")


def test_create_strips_text_and_tidies_the_phone():
    contact = Contact.create(name=" Ada ", phone=" +880 17-11 ", massage=" Hello \n")
    assert (contact.name, contact.phone, contact.massage, contact.id) == ("Ada", "+8801711", "Hello", None)


def test_create_reports_every_problem_at_once():
    assert errors_of(lambda: Contact.create(name="", phone="", massage="  ")) == {
        "name": ["This field may not be blank."],
        "phone": ["This field may not be blank."],
        "massage": ["This field may not be blank."],
    }


@pytest.mark.parametrize("phone", ["+", "12a45", "1+2345", "++123", "(017)123", "017.123"])
def test_phone_refuses_anything_but_digits_with_an_optional_leading_plus(phone):
    assert errors_of(lambda: Contact.create(name="Ada", phone=phone, massage="Hi")) == {"phone": [BAD_PHONE]}


def test_phone_is_at_most_11_characters():
    assert Contact.create(name="Ada", phone="+1234567890", massage="Hi").phone == "+1234567890"
    assert errors_of(lambda: Contact.create(name="Ada", phone="123456789012", massage="Hi")) == {
        "phone": ["Ensure this field has no more than 11 characters."]
    }


@given(st.from_regex(r"\+?[0-9]{1,10}", fullmatch=True))
def test_any_short_digit_string_is_a_phone(phone):
    assert Contact.create(name="Ada", phone=phone, massage="Hi").phone == phone


def test_name_is_at_most_50_and_massage_at_most_5000_characters():
    assert Contact.create(name="n" * 50, phone="1", massage="m" * 5000).massage == "m" * 5000
    assert errors_of(lambda: Contact.create(name="n" * 51, phone="1", massage="m" * 5001)) == {
        "name": ["Ensure this field has no more than 50 characters."],
        "massage": ["Ensure this field has no more than 5000 characters."],
    }


def test_update_changes_only_the_given_fields():
    contact = make()
    contact.update(phone="0171", massage="Never mind.")
    assert (contact.name, contact.phone, contact.massage) == ("Ada", "0171", "Never mind.")


def test_update_changes_nothing_when_any_field_is_invalid():
    contact = make()
    assert set(errors_of(lambda: contact.update(name="Grace", phone="call me", massage=""))) == {
        "phone", "massage",
    }
    assert (contact.name, contact.phone, contact.massage) == ("Ada", "+8801711", "Please call me back.")
