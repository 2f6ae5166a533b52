"""Designations and specialisations: public reads, admin writes, slugs unique and well formed."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.application.actor import ANONYMOUS
from hospital.application.errors import AuthenticationError
from hospital.application.taxonomy import TaxonChanges
from hospital.domain.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError

SLUG_RULE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z")


class Kind:
    """The five use cases of one kind, from the container."""

    def __init__(self, container, noun: str, plural: str) -> None:
        self.label = noun
        self.list = getattr(container, f"list_{plural}")()
        self.get = getattr(container, f"get_{noun}")()
        self.create = getattr(container, f"create_{noun}")()
        self.update = getattr(container, f"update_{noun}")()
        self.delete = getattr(container, f"delete_{noun}")()


@pytest.fixture(params=[("designation", "designations"), ("specialisation", "specialisations")],
                ids=["designations", "specialisations"])
def kind(request, container) -> Kind:
    return Kind(container, *request.param)


# reading: anyone


async def test_anyone_lists_and_reads_them_in_id_order(kind, boss, everyone):
    seeded = [t.id for t in await kind.list(boss)]  # the doctor fixture files its doctor under these
    first = await kind.create(boss, TaxonChanges(name="Zeta"))
    second = await kind.create(boss, TaxonChanges(name="Alpha"))
    for actor in everyone.values():
        assert [t.id for t in await kind.list(actor)] == [*seeded, first.id, second.id]
        assert (await kind.get(actor, second.id)).name == "Alpha"


async def test_an_unknown_id_is_not_found(kind, boss):
    for call in (lambda: kind.get(ANONYMOUS, 99), lambda: kind.update(boss, 99, TaxonChanges(name="X")),
                 lambda: kind.delete(boss, 99)):
        with pytest.raises(NotFoundError):
            await call()


# writing: admins only


async def test_anonymous_writes_need_authentication(kind, boss):
    existing = await kind.create(boss, TaxonChanges(name="Existing"))
    for call in (lambda: kind.create(ANONYMOUS, TaxonChanges(name="X")),
                 lambda: kind.update(ANONYMOUS, existing.id, TaxonChanges(name="X")),
                 lambda: kind.update(ANONYMOUS, 99, TaxonChanges(name="X")),
                 lambda: kind.delete(ANONYMOUS, existing.id)):
        with pytest.raises(AuthenticationError):
            await call()


async def test_patients_and_doctors_may_not_write(kind, boss, non_admins):
    existing = await kind.create(boss, TaxonChanges(name="Existing"))
    before = [(t.name, t.slug) for t in await kind.list(boss)]
    for actor in non_admins.values():
        for call in (lambda a=actor: kind.create(a, TaxonChanges(name="X")),
                     lambda a=actor: kind.update(a, existing.id, TaxonChanges(name="X"), partial=True),
                     lambda a=actor: kind.delete(a, existing.id)):
            with pytest.raises(PermissionDeniedError):
                await call()
    assert [(t.name, t.slug) for t in await kind.list(boss)] == before


async def test_an_admin_creates_updates_and_deletes(kind, boss):
    created = await kind.create(boss, TaxonChanges(name="  Heart Surgery ", slug=None))
    assert (created.name, created.slug) == ("Heart Surgery", "heart-surgery")
    updated = await kind.update(boss, created.id, TaxonChanges(name="Cardiac Surgery", slug="cardiac"))
    assert (updated.name, updated.slug) == ("Cardiac Surgery", "cardiac")
    await kind.delete(boss, created.id)
    assert await kind.list(boss) == []


# slugs


async def test_the_slug_is_made_from_the_name_when_missing_or_blank(kind, boss):
    assert (await kind.create(boss, TaxonChanges(name="Ear, Nose & Throat"))).slug == "ear-nose-throat"
    assert (await kind.create(boss, TaxonChanges(name="Pédiatrie", slug="  "))).slug == "pediatrie"


@pytest.mark.parametrize("slug", ["Upper", "with space", "under_score", "-edge", "ünï"])
async def test_a_given_slug_must_be_lowercase_letters_digits_and_hyphens(kind, boss, slug):
    with pytest.raises(ValidationError) as caught:
        await kind.create(boss, TaxonChanges(name="Name", slug=slug))
    assert list(caught.value.errors) == ["slug"]
    assert await kind.list(boss) == []


async def test_a_duplicate_slug_is_a_conflict_naming_slug(kind, boss):
    await kind.create(boss, TaxonChanges(name="Cardio"))
    for changes in (TaxonChanges(name="Cardio"), TaxonChanges(name="Other", slug="cardio")):
        with pytest.raises(ConflictError) as caught:
            await kind.create(boss, changes)
        assert caught.value.errors == {"slug": [f"{kind.label} with this slug already exists."]}
    assert len(await kind.list(boss)) == 1


async def test_an_update_may_not_take_another_ones_slug_but_may_keep_its_own(kind, boss):
    await kind.create(boss, TaxonChanges(name="Taken"))
    mine = await kind.create(boss, TaxonChanges(name="Mine"))
    with pytest.raises(ConflictError):
        await kind.update(boss, mine.id, TaxonChanges(name="Mine", slug="taken"))
    assert (await kind.get(boss, mine.id)).slug == "mine"
    assert (await kind.update(boss, mine.id, TaxonChanges(name="Mine", slug="mine"))).slug == "mine"


async def test_renaming_keeps_the_slug_and_a_blank_slug_remakes_it(kind, boss):
    taxon = await kind.create(boss, TaxonChanges(name="Old Name"))
    assert (await kind.update(boss, taxon.id, TaxonChanges(name="New Name"))).slug == "old-name"
    assert (await kind.update(boss, taxon.id, TaxonChanges(slug=""), partial=True)).slug == "new-name"


@given(name=st.text(min_size=1, max_size=50))
async def test_any_created_slug_follows_the_rule(container, name):
    from tests.support.actors import admin

    boss = await admin(container)
    kind = Kind(container, "designation", "designations")
    try:
        taxon = await kind.create(boss, TaxonChanges(name=name))
    except ValidationError as error:
        assert set(error.errors) <= {"name", "slug"}
        return
    assert SLUG_RULE.match(taxon.slug) and len(taxon.slug) <= 60


# full and partial updates


async def test_a_full_update_needs_the_name(kind, boss):
    taxon = await kind.create(boss, TaxonChanges(name="Name"))
    with pytest.raises(ValidationError) as caught:
        await kind.update(boss, taxon.id, TaxonChanges(slug="other"))
    assert caught.value.errors == {"name": ["This field is required."]}
    assert (await kind.get(boss, taxon.id)).slug == "name"


async def test_a_partial_update_changes_only_what_is_sent(kind, boss):
    taxon = await kind.create(boss, TaxonChanges(name="Name"))
    changed = await kind.update(boss, taxon.id, TaxonChanges(slug="other"), partial=True)
    assert (changed.name, changed.slug) == ("Name", "other")


async def test_create_needs_a_name(kind, boss):
    with pytest.raises(ValidationError) as caught:
        await kind.create(boss, TaxonChanges())
    assert caught.value.errors == {"name": ["This field is required."]}


async def test_an_overlong_name_is_refused(kind, boss):
    with pytest.raises(ValidationError) as caught:
        await kind.create(boss, TaxonChanges(name="x" * 51))
    assert list(caught.value.errors) == ["name"]


# deleting


async def test_deleting_one_removes_it_from_the_doctors_filed_under_it(container, boss, catalogue, doctor):
    await container.delete_designation()(boss, catalogue.designations[0])
    await container.delete_specialisation()(boss, catalogue.specialisations[0])
    view = await container.get_doctor()(ANONYMOUS, doctor.doctor_id)
    assert (view.designation, view.specialisation) == ((), ())
