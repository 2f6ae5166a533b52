import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.errors import ValidationError
from hospital.domain.taxonomy import SLUG_MAX, Designation, Specialisation, slugify

SLUG_RULE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z")
TAXA = pytest.mark.parametrize("taxon", [Designation, Specialisation])


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


# slugify


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Cardiology", "cardiology"),
        ("  Senior   Consultant ", "senior-consultant"),
        ("Ear, Nose & Throat", "ear-nose-throat"),
        ("Pédiatrie générale", "pediatrie-generale"),
        ("--Already-slugged--", "already-slugged"),
        ("Ｆｕｌｌｗｉｄｔｈ 42", "fullwidth-42"),
    ],
)
def test_slugify_examples(name, slug):
    assert slugify(name) == slug


@pytest.mark.parametrize("name", ["", "   ", "日本語", "!!!", "---"])
def test_slugify_refuses_names_with_nothing_sluggable(name):
    assert "slug" in errors_of(lambda: slugify(name))


def test_slugify_cuts_long_names_without_a_trailing_hyphen():
    slug = slugify("a" * 59 + " b" + "c" * 10)
    assert slug == "a" * 59
    assert len(slugify("x" * 200)) == SLUG_MAX


@given(st.text())
def test_slugify_output_matches_the_slug_rule_or_raises(text):
    try:
        slug = slugify(text)
    except ValidationError as error:
        assert set(error.errors) == {"slug"}
    else:
        assert SLUG_RULE.match(slug)
        assert len(slug) <= SLUG_MAX


@given(st.text())
def test_slugify_is_idempotent(text):
    try:
        slug = slugify(text)
    except ValidationError:
        return
    assert slugify(slug) == slug


# create


@TAXA
def test_create_strips_the_name_and_makes_the_slug_from_it(taxon):
    item = taxon.create(name="  General Surgery ")
    assert (item.name, item.slug, item.id) == ("General Surgery", "general-surgery", None)


@TAXA
@pytest.mark.parametrize("slug", [None, "", "   "])
def test_create_with_a_blank_slug_makes_one_from_the_name(taxon, slug):
    assert taxon.create(name="Heart Care", slug=slug).slug == "heart-care"


@TAXA
def test_create_keeps_a_given_valid_slug(taxon):
    assert taxon.create(name="Cardiology", slug=" cardio-2 ").slug == "cardio-2"


@TAXA
@pytest.mark.parametrize("slug", ["Cardio", "cardio_logy", "-cardio", "cardio-", "car dio", "kardïo"])
def test_create_refuses_an_invalid_slug(taxon, slug):
    assert errors_of(lambda: taxon.create(name="Cardiology", slug=slug)) == {
        "slug": ['Enter a valid "slug" consisting of lowercase letters, numbers or hyphens.']
    }


@TAXA
def test_create_refuses_a_slug_over_60_characters(taxon):
    assert taxon.create(name="X", slug="a" * 60).slug == "a" * 60
    assert errors_of(lambda: taxon.create(name="X", slug="a" * 61)) == {
        "slug": ["Ensure this field has no more than 60 characters."]
    }


@TAXA
def test_create_refuses_a_blank_or_long_name(taxon):
    assert errors_of(lambda: taxon.create(name="  ")) == {"name": ["This field may not be blank."]}
    assert taxon.create(name="n" * 50).name == "n" * 50
    assert errors_of(lambda: taxon.create(name="n" * 51)) == {
        "name": ["Ensure this field has no more than 50 characters."]
    }


@TAXA
def test_create_reports_name_and_slug_problems_together(taxon):
    assert set(errors_of(lambda: taxon.create(name="", slug="Bad Slug"))) == {"name", "slug"}


@TAXA
def test_create_reports_a_name_that_gives_no_slug_on_slug(taxon):
    assert set(errors_of(lambda: taxon.create(name="日本語"))) == {"slug"}
    assert taxon.create(name="日本語", slug="japanese").name == "日本語"


# update


@TAXA
def test_update_renames_and_keeps_the_slug(taxon):
    item = taxon.create(name="Cardiology")
    item.update(name=" Heart ")
    assert (item.name, item.slug) == ("Heart", "cardiology")


@TAXA
def test_update_with_a_blank_slug_remakes_it_from_the_new_or_current_name(taxon):
    item = taxon.create(name="Cardiology", slug="cardio")
    item.update(slug="")
    assert item.slug == "cardiology"
    item.update(name="Heart Care", slug=" ")
    assert item.slug == "heart-care"


@TAXA
def test_update_sets_a_given_slug(taxon):
    item = taxon.create(name="Cardiology")
    item.update(slug="heart")
    assert item.slug == "heart"


@TAXA
def test_update_changes_nothing_when_any_field_is_invalid(taxon):
    item = taxon.create(name="Cardiology")
    errors = errors_of(lambda: item.update(name="Heart", slug="Not A Slug"))
    assert set(errors) == {"slug"}
    assert (item.name, item.slug) == ("Cardiology", "cardiology")
    errors = errors_of(lambda: item.update(name=" ", slug="heart"))
    assert set(errors) == {"name"}
    assert (item.name, item.slug) == ("Cardiology", "cardiology")


@TAXA
def test_update_with_an_invalid_name_and_blank_slug_reports_only_the_name(taxon):
    item = taxon.create(name="Cardiology")
    assert set(errors_of(lambda: item.update(name="", slug=""))) == {"name"}
    assert item.slug == "cardiology"


@TAXA
def test_update_with_nothing_changes_nothing(taxon):
    item = taxon.create(name="Cardiology")
    item.update()
    assert (item.name, item.slug) == ("Cardiology", "cardiology")


def test_the_two_kinds_are_distinct_types():
    assert isinstance(Designation.create(name="Consultant"), Designation)
    assert isinstance(Specialisation.create(name="Oncology"), Specialisation)
    assert not isinstance(Designation.create(name="Consultant"), Specialisation)
