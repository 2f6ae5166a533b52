from __future__ import annotations

from datetime import date, timedelta

import pytest

from hospital.application.accounts import LogInCommand
from hospital.application.actor import ANONYMOUS, Actor
from hospital.application.errors import AuthenticationError
from hospital.application.pagination import InvalidPageError, PageRequest
from hospital.application.ports.storage import UploadedFile
from hospital.application.profiles import ProfileChanges
from hospital.bootstrap import Container
from hospital.domain.errors import ConflictError, NotFoundError, ValidationError
from tests.support.actors import admin, register
from tests.support.image_files import NOT_AN_IMAGE, png_upload

INVALID_IMAGE = ("Upload a valid image. The file you uploaded was either not an image or a corrupted image.")


async def profile_id_of(container: Container, actor: Actor) -> int:
    return (await container.get_my_profile()(actor)).id


async def delete_own_profile(container: Container, actor: Actor) -> None:
    await container.delete_profile()(actor, await profile_id_of(container, actor))


def stored_images(container: Container) -> set[str]:
    return set(container.images().files)


# --- list -------------------------------------------------------------------------------------------

async def test_an_admin_lists_every_profile_in_id_order(container: Container) -> None:
    alice, bob = await register(container, "alice"), await register(container, "bob")
    boss = await admin(container, "boss")

    page = await container.list_profiles()(boss, page=PageRequest())

    assert [details.user.username for details in page.items] == ["alice", "bob", "boss"]
    assert page.total == 3
    assert {details.user.id for details in page.items} == {alice.user_id, bob.user_id, boss.user_id}


async def test_anyone_else_lists_only_their_own_profile(container: Container) -> None:
    await register(container, "alice")
    bob = await register(container, "bob")

    page = await container.list_profiles()(bob, page=PageRequest())

    assert [details.user.username for details in page.items] == ["bob"]
    assert page.total == 1


async def test_search_matches_username_email_and_names_ignoring_case(container: Container) -> None:
    await register(container, "alice", first_name="Alice", last_name="Liddell")
    await register(container, "bob", email="bob@wonderland.org")
    await register(container, "carol", last_name="Wonder")
    boss = await admin(container, "boss")
    listing = container.list_profiles()

    async def found(search: str) -> list[str]:
        return [d.user.username for d in (await listing(boss, page=PageRequest(), search=search)).items]

    assert await found("ALI") == ["alice"]
    assert await found("wonder") == ["bob", "carol"]
    assert await found("LIDDELL") == ["alice"]
    assert await found("") == ["alice", "bob", "carol", "boss"]
    assert await found("nobody") == []


async def test_every_search_term_must_match_some_field(container: Container) -> None:
    # "Alice Liddell" finds the user whose first name is Alice and last name Liddell, as the original's
    # search filter did: terms split on spaces and commas, each found in any field.
    await register(container, "alice", first_name="Alice", last_name="Liddell")
    await register(container, "alicia", first_name="Alice", last_name="Smith")
    boss = await admin(container, "boss")
    listing = container.list_profiles()

    async def found(search: str) -> list[str]:
        return [d.user.username for d in (await listing(boss, page=PageRequest(), search=search)).items]

    assert await found("Alice Liddell") == ["alice"]
    assert await found("alice,smith") == ["alicia"]
    assert await found("  alice   ") == ["alice", "alicia"]
    assert await found("alice nobody") == []


async def test_search_takes_percent_and_underscore_literally(container: Container) -> None:
    await register(container, "a_b")
    await register(container, "axb")
    boss = await admin(container, "boss")
    page = await container.list_profiles()(boss, page=PageRequest(), search="a_b")
    assert [d.user.username for d in page.items] == ["a_b"]


async def test_a_non_admin_search_stays_within_their_own_profile(container: Container) -> None:
    await register(container, "alice")
    bob = await register(container, "bob")
    page = await container.list_profiles()(bob, page=PageRequest(), search="alice")
    assert page.items == [] and page.total == 0


async def test_listing_pages_through_the_profiles(container: Container) -> None:
    for name in ("p1", "p2", "p3", "p4", "p5"):
        await register(container, name)
    boss = await admin(container, "boss")
    listing = container.list_profiles()

    second = await listing(boss, page=PageRequest.of(2, 2))
    assert [d.user.username for d in second.items] == ["p3", "p4"]
    assert second.total == 6 and second.has_next and second.has_previous
    last = await listing(boss, page=PageRequest.of(3, 2))
    assert [d.user.username for d in last.items] == ["p5", "boss"] and not last.has_next
    with pytest.raises(InvalidPageError):
        await listing(boss, page=PageRequest.of(4, 2))


async def test_anonymous_callers_cannot_list(container: Container) -> None:
    with pytest.raises(AuthenticationError):
        await container.list_profiles()(ANONYMOUS, page=PageRequest())


# --- get and me -------------------------------------------------------------------------------------

async def test_the_owner_and_an_admin_read_a_profile(container: Container) -> None:
    alice = await register(container, "alice")
    profile_id = await profile_id_of(container, alice)

    assert (await container.get_profile()(alice, profile_id)).user.username == "alice"
    assert (await container.get_profile()(await admin(container), profile_id)).id == profile_id


async def test_someone_elses_profile_is_not_found(container: Container) -> None:
    alice, bob = await register(container, "alice"), await register(container, "bob")
    with pytest.raises(NotFoundError):
        await container.get_profile()(bob, await profile_id_of(container, alice))


async def test_an_unknown_profile_is_not_found(container: Container) -> None:
    with pytest.raises(NotFoundError):
        await container.get_profile()(await admin(container), 999)


async def test_anonymous_callers_cannot_read(container: Container) -> None:
    alice = await register(container, "alice")
    with pytest.raises(AuthenticationError):
        await container.get_profile()(ANONYMOUS, await profile_id_of(container, alice))
    with pytest.raises(AuthenticationError):
        await container.get_my_profile()(ANONYMOUS)


async def test_me_is_the_callers_own_profile(container: Container) -> None:
    alice = await register(container, "alice", first_name="Alice")
    details = await container.get_my_profile()(alice)
    assert details.user.id == alice.user_id and details.user.first_name == "Alice"


async def test_me_without_a_profile_is_not_found(container: Container) -> None:
    alice = await register(container, "alice")
    await delete_own_profile(container, alice)
    with pytest.raises(NotFoundError):
        await container.get_my_profile()(alice)


# --- create -----------------------------------------------------------------------------------------

async def test_a_registered_user_already_has_a_profile_so_create_is_refused(container: Container) -> None:
    alice = await register(container, "alice")
    with pytest.raises(ConflictError) as caught:
        await container.create_profile()(alice, ProfileChanges(bio="again"))
    assert caught.value.errors == {"non_field_errors": ["You already have a profile."]}


async def test_a_refused_create_stores_no_picture(container: Container) -> None:
    alice = await register(container, "alice")
    with pytest.raises(ConflictError):
        await container.create_profile()(alice, ProfileChanges(profile_picture=png_upload()))
    assert stored_images(container) == set()


async def test_create_after_deleting_makes_a_new_profile_with_the_fields_given(container: Container, clock) -> None:
    alice = await register(container, "alice")
    await delete_own_profile(container, alice)

    details = await container.create_profile()(alice, ProfileChanges(
        bio="Hello", address="1 Rabbit Hole", date_of_birth=date(1990, 1, 2), first_name="Alicia",
        profile_picture=png_upload(),
    ))

    assert (details.bio, details.address) == ("Hello", "1 Rabbit Hole")
    assert details.date_of_birth == date(1990, 1, 2)
    assert details.created_at == clock.now()
    assert details.user.first_name == "Alicia"
    assert stored_images(container) == {details.profile_picture}
    assert (await container.get_my_profile()(alice)).id == details.id


async def test_an_invalid_create_stores_nothing_and_leaves_no_orphan_picture(container: Container) -> None:
    alice = await register(container, "alice")
    await delete_own_profile(container, alice)

    with pytest.raises(ValidationError) as caught:
        await container.create_profile()(alice, ProfileChanges(
            email="not-an-email", bio="x" * 5001, profile_picture=png_upload()))

    assert set(caught.value.errors) == {"email", "bio"}
    assert stored_images(container) == set()
    with pytest.raises(NotFoundError):
        await container.get_my_profile()(alice)


async def test_a_non_image_picture_is_refused_on_profile_picture(container: Container) -> None:
    alice = await register(container, "alice")
    await delete_own_profile(container, alice)
    upload = UploadedFile(filename="cv.png", content_type="image/png", content=NOT_AN_IMAGE)

    with pytest.raises(ValidationError) as caught:
        await container.create_profile()(alice, ProfileChanges(profile_picture=upload))

    assert caught.value.errors == {"profile_picture": [INVALID_IMAGE]}


async def test_anonymous_callers_cannot_create(container: Container) -> None:
    with pytest.raises(AuthenticationError):
        await container.create_profile()(ANONYMOUS, ProfileChanges())


# --- update -----------------------------------------------------------------------------------------

async def test_update_changes_the_user_and_the_profile_fields_given(container: Container, clock) -> None:
    alice = await register(container, "alice", first_name="Alice", last_name="Liddell")
    profile_id = await profile_id_of(container, alice)
    clock.advance(timedelta(hours=1))

    details = await container.update_profile()(alice, profile_id, ProfileChanges(
        username="alicia", email="alicia@Example.org", bio="New bio", date_of_birth=date(1991, 3, 4)))

    assert (details.user.username, details.user.email) == ("alicia", "alicia@example.org")
    assert (details.user.first_name, details.user.last_name) == ("Alice", "Liddell")  # not sent: kept
    assert details.bio == "New bio" and details.date_of_birth == date(1991, 3, 4)
    assert details.updated_at == clock.now() != details.created_at
    stored = await container.get_profile()(alice, profile_id)
    assert stored.user.username == "alicia" and stored.bio == "New bio"


async def test_a_partial_update_keeps_everything_else(container: Container) -> None:
    alice = await register(container, "alice")
    profile_id = await profile_id_of(container, alice)
    update = container.update_profile()
    await update(alice, profile_id, ProfileChanges(bio="Bio", address="Addr", date_of_birth=date(1990, 1, 1)))

    details = await update(alice, profile_id, ProfileChanges(address="New addr"))

    assert (details.bio, details.address, details.date_of_birth) == (
        "Bio", "New addr", date(1990, 1, 1))


async def test_update_can_clear_the_date_of_birth(container: Container) -> None:
    alice = await register(container, "alice")
    profile_id = await profile_id_of(container, alice)
    update = container.update_profile()
    await update(alice, profile_id, ProfileChanges(date_of_birth=date(1990, 1, 1)))

    details = await update(alice, profile_id, ProfileChanges(clear_date_of_birth=True))

    assert details.date_of_birth is None


async def test_an_admin_may_update_anyones_profile(container: Container) -> None:
    alice = await register(container, "alice")
    details = await container.update_profile()(await admin(container), await profile_id_of(container, alice),
                                               ProfileChanges(bio="Set by an admin"))
    assert details.bio == "Set by an admin" and details.user.username == "alice"


async def test_someone_elses_profile_cannot_be_updated_and_stores_no_picture(container: Container) -> None:
    alice, bob = await register(container, "alice"), await register(container, "bob")
    with pytest.raises(NotFoundError):
        await container.update_profile()(bob, await profile_id_of(container, alice),
                                         ProfileChanges(bio="hacked", profile_picture=png_upload()))
    assert (await container.get_my_profile()(alice)).bio == ""
    assert stored_images(container) == set()


async def test_a_taken_username_is_refused_whatever_its_case(container: Container) -> None:
    await register(container, "alice")
    bob = await register(container, "bob")
    with pytest.raises(ValidationError) as caught:
        await container.update_profile()(bob, await profile_id_of(container, bob), ProfileChanges(username="ALICE"))
    assert caught.value.errors == {"username": ["A user with that username already exists."]}


async def test_a_user_may_keep_or_recase_their_own_username(container: Container) -> None:
    bob = await register(container, "bob")
    details = await container.update_profile()(bob, await profile_id_of(container, bob), ProfileChanges(username="Bob"))
    assert details.user.username == "Bob"


async def test_an_invalid_update_changes_nothing_and_removes_the_new_picture(container: Container) -> None:
    alice = await register(container, "alice")
    profile_id = await profile_id_of(container, alice)

    with pytest.raises(ValidationError) as caught:
        await container.update_profile()(alice, profile_id, ProfileChanges(
            first_name="Changed", bio="Changed", date_of_birth=date(2999, 1, 1), profile_picture=png_upload()))

    assert caught.value.errors == {"date_of_birth": ["Date of birth cannot be in the future."]}
    stored = await container.get_my_profile()(alice)
    assert (stored.user.first_name, stored.bio, stored.profile_picture) == ("", "", None)
    assert stored_images(container) == set()


async def test_a_new_picture_replaces_the_old_file(container: Container) -> None:
    alice = await register(container, "alice")
    profile_id = await profile_id_of(container, alice)
    update = container.update_profile()
    first = (await update(alice, profile_id, ProfileChanges(profile_picture=png_upload()))).profile_picture

    second = (await update(alice, profile_id, ProfileChanges(profile_picture=png_upload()))).profile_picture

    assert first != second
    assert first.startswith("profile_pictures/") and second.startswith("profile_pictures/")
    assert stored_images(container) == {second}


async def test_an_update_without_a_picture_keeps_the_old_one(container: Container) -> None:
    alice = await register(container, "alice")
    profile_id = await profile_id_of(container, alice)
    update = container.update_profile()
    picture = (await update(alice, profile_id, ProfileChanges(profile_picture=png_upload()))).profile_picture

    details = await update(alice, profile_id, ProfileChanges(bio="only the bio"))

    assert details.profile_picture == picture and stored_images(container) == {picture}


# --- delete -----------------------------------------------------------------------------------------

async def test_the_owner_deletes_their_profile_and_its_picture(container: Container) -> None:
    alice = await register(container, "alice")
    profile_id = await profile_id_of(container, alice)
    await container.update_profile()(alice, profile_id, ProfileChanges(profile_picture=png_upload()))

    await container.delete_profile()(alice, profile_id)

    with pytest.raises(NotFoundError):
        await container.get_profile()(alice, profile_id)
    assert stored_images(container) == set()
    # the account itself stays
    assert await container.log_in()(LogInCommand(username="alice", password="Correct-Horse-Battery-9"))


async def test_an_admin_deletes_anyones_profile(container: Container) -> None:
    alice = await register(container, "alice")
    await container.delete_profile()(await admin(container), await profile_id_of(container, alice))
    with pytest.raises(NotFoundError):
        await container.get_my_profile()(alice)


async def test_someone_elses_profile_cannot_be_deleted(container: Container) -> None:
    alice, bob = await register(container, "alice"), await register(container, "bob")
    profile_id = await profile_id_of(container, alice)
    with pytest.raises(NotFoundError):
        await container.delete_profile()(bob, profile_id)
    assert (await container.get_profile()(alice, profile_id)).id == profile_id
