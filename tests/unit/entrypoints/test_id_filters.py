from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.errors import ValidationError
from hospital.entrypoints.http.id_filters import parse_id_filter


@pytest.mark.parametrize(("raw", "expected"), [
    (None, None), ("", None), ("   ", None), ("7", 7), (" 42 ", 42), ("+3", 3), ("-3", -3), ("007", 7),
    (str(10**29), 10**29),
])
def test_integers_and_nothing(raw, expected):
    assert parse_id_filter("doctor_id", raw) == expected


@pytest.mark.parametrize("raw", [
    "' OR 1=1 --", "%", "_", "1.5", "1e3", "0x10", "1_000", "١", "１", "abc", "1 2", "\x00", "1\x00", str(10**40),
])
def test_anything_else_is_a_400_naming_the_parameter(raw):
    with pytest.raises(ValidationError) as error:
        parse_id_filter("doctor_id", raw)
    assert error.value.errors == {"doctor_id": ["Enter a number."]}


@given(st.text())
def test_any_text_is_an_int_none_or_a_400(raw):
    try:
        value = parse_id_filter("patient_id", raw)
    except ValidationError as error:
        assert error.errors == {"patient_id": ["Enter a number."]}
        return
    if value is None:
        assert not raw.strip()
    else:
        assert raw.strip().isascii() and value == int(raw.strip())
