from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.errors import ValidationError
from hospital.domain.time_windows import LocalWindow, parse_clock, window_from_label


@pytest.mark.parametrize(("label", "window"), [
    ("9am-10am", (time(9), time(10))),
    ("9 AM - 10 AM", (time(9), time(10))),
    ("09:00-10:00", (time(9), time(10))),
    ("9:30am-11am", (time(9, 30), time(11))),
    ("9-11am", (time(9), time(11))),
    ("11-1pm", (time(11), time(13))),
    ("1pm - 3:45pm", (time(13), time(15, 45))),
    ("12pm-1pm", (time(12), time(13))),
    ("12am-1am", (time(0), time(1))),
    ("14:00 to 17:30", (time(14), time(17, 30))),
    ("9.30 a.m. - 10.30 a.m.", (time(9, 30), time(10, 30))),
])
def test_labels_that_read_as_a_range_get_their_window(label, window):
    assert window_from_label(label) == LocalWindow(*window)


@pytest.mark.parametrize("label", [
    "Monday morning", "9am", "10am-9am", "9am-9am", "13pm-2pm", "25:00-26:00", "9:75-10:00", "11pm-12am",
    "Monday 9:00-10:00", "",
])
def test_other_labels_stay_windowless(label):
    assert window_from_label(label) is None


@given(st.text(max_size=30))
def test_any_label_either_has_a_window_whose_end_is_after_its_start_or_none(label):
    window = window_from_label(label)
    assert window is None or window.end > window.start


def test_a_window_ends_after_it_starts():
    with pytest.raises(ValidationError) as error:
        LocalWindow.parse("10:00", "09:00")
    assert error.value.errors == {"end": ["The end must be after the start."]}
    with pytest.raises(ValidationError):
        LocalWindow.parse("10:00", "10:00")


@pytest.mark.parametrize("value", ["9:00", "24:00", "09:60", "0900", " 09:00", 900, None, "09:00:00"])
def test_clock_times_are_exactly_hh_mm(value):
    with pytest.raises(ValidationError) as error:
        parse_clock(value, "start")
    assert list(error.value.errors) == ["start"]


def test_both_bad_sides_are_reported_at_once():
    with pytest.raises(ValidationError) as error:
        LocalWindow.parse("x", "y")
    assert set(error.value.errors) == {"start", "end"}
