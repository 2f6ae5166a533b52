from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.users import User, display_name


def test_the_full_name_when_there_is_one():
    assert display_name("greg", "Gregory", "House") == "Gregory House"
    assert display_name("greg", "", "House") == "House"
    assert display_name("greg", "Gregory", "") == "Gregory"


def test_the_username_when_there_is_no_name():
    assert display_name("greg", "", "") == "greg"


@given(st.text(max_size=5), st.text(max_size=5))
def test_the_user_property_agrees_with_the_function(first, last):
    user = User(username="someone", email="", password_hash="", first_name=first, last_name=last)
    assert user.display_name == display_name("someone", first, last)
