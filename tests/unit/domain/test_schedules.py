import pytest

from hospital.domain.errors import ValidationError
from hospital.domain.schedules import AvailableTime


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


def test_create_strips_the_label():
    slot = AvailableTime.create(time="  Monday 9:00-10:00 ")
    assert (slot.time, slot.id) == ("Monday 9:00-10:00", None)


@pytest.mark.parametrize("time", ["", "   "])
def test_create_refuses_a_blank_label(time):
    assert errors_of(lambda: AvailableTime.create(time=time)) == {"time": ["This field may not be blank."]}


def test_label_is_at_most_50_characters():
    assert AvailableTime.create(time="t" * 50).time == "t" * 50
    assert errors_of(lambda: AvailableTime.create(time="t" * 51)) == {
        "time": ["Ensure this field has no more than 50 characters."]
    }


def test_update_changes_the_label():
    slot = AvailableTime.create(time="Monday 9:00-10:00")
    slot.update(time=" Tuesday 9:00-10:00")
    assert slot.time == "Tuesday 9:00-10:00"


def test_update_with_nothing_keeps_the_label():
    slot = AvailableTime.create(time="Monday 9:00-10:00")
    slot.update()
    assert slot.time == "Monday 9:00-10:00"


def test_update_refuses_an_invalid_label_and_keeps_the_old_one():
    slot = AvailableTime.create(time="Monday 9:00-10:00")
    assert set(errors_of(lambda: slot.update(time=" "))) == {"time"}
    assert slot.time == "Monday 9:00-10:00"
