"""NUL in a designation/specialisation name or an available-time label is invalid input, not a
database error: PostgreSQL cannot store it (found by tests/integration/security on PostgreSQL)."""

from __future__ import annotations

import pytest

from hospital.domain.errors import ValidationError
from hospital.domain.schedules import normalize_time_label
from hospital.domain.taxonomy import normalize_taxon_name


@pytest.mark.parametrize(("normalize", "field"), [(normalize_taxon_name, "name"), (normalize_time_label, "time")])
def test_nul_is_refused_with_the_field_named(normalize, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        normalize("a\x00b")
    assert refused.value.errors == {field: ["Null characters are not allowed."]}


@pytest.mark.parametrize("normalize", [normalize_taxon_name, normalize_time_label])
def test_ordinary_text_is_stripped_as_before(normalize) -> None:
    assert normalize("  Monday 9:00  ") == "Monday 9:00"
