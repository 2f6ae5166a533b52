"""The doctors' JSON text that storage renders (``DoctorViews.json``) is, byte for byte, the msgspec
encoding of the read models, and the page on the wire the encoding of ``DoctorOut``: for the values
that JSON escapes differently from one encoder to another (quotes, backslashes, control characters,
non-ASCII text), empty lists and a missing image. Doctors carry no date and no float.

The expected read models are made here from the stored values, as the Python read side made them
before the database rendered them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

import msgspec
import pytest

from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.catalogue import DoctorFilters, DoctorReadModel, DoctorViews
from hospital.bootstrap import Container
from hospital.domain.doctors import Doctor
from hospital.domain.schedules import AvailableTime
from hospital.domain.taxonomy import Designation, Specialisation
from hospital.domain.users import User, display_name
from hospital.entrypoints.http.schemas.doctors import DoctorOut
from tests.support.actors import unique_username

TRICKY = [
    'say "hi"',
    "back\\slash\\",
    "tab\there, line\nbreak, return\r, bell\x07, \x08\x0c\x1f\x7f",
    "Zoë Ångström 李小龍 😀 \u2028\u2029",
    '"profile":"not a key',
    "</script>&'",
]
_fees = count(970_001)


async def _tricky_doctors(store: Container) -> tuple[int, list[DoctorReadModel]]:
    """Doctors named, labelled and linked with every tricky value, all with one fee of their own;
    the read models they must be shown as."""
    fee = next(_fees)
    designations = [Designation(name=name, slug=f"d{n}-{fee}") for n, name in enumerate(TRICKY)]
    specialisations = [Specialisation(name=name[::-1], slug=f"s{n}-{fee}") for n, name in enumerate(TRICKY)]
    async with store.unit_of_work() as uow:
        for designation in designations:
            await uow.designations.add(designation)
        for specialisation in specialisations:
            await uow.specialisations.add(specialisation)
        times = [AvailableTime(time=day) for day in ("Mon", "Tue", "Wed")]
        for time in times:
            await uow.available_times.add(time)
        await uow.commit()
    names = [("", ""), ("Greg", ""), ("", "House"), *((text, text[::-1]) for text in TRICKY)]
    expected = []
    for n, (first, last) in enumerate(names):
        user = User.register(username=unique_username(), email="u@example.com", password_hash="x", first_name="",
                             last_name="",
                             joined_at=datetime.now(UTC))
        # Set after registering: these values are what storage holds, not what a form may send.
        user.first_name, user.last_name = first, last
        async with store.unit_of_work() as uow:
            await uow.users.add(user)
            await uow.commit()
        profile = [None, "", "doctors/ü \"q\" \\.png", f"doctors/{TRICKY[n % len(TRICKY)]}"][n % 4]
        chosen = designations[n % 3:n % 3 + n % 4]  # from none to three, in id order
        doctor = Doctor(user_id=user.id, designation_ids=[d.id for d in reversed(chosen)],
                        specialisation_ids=[specialisations[n % len(specialisations)].id] if n % 2 else [],
                        available_time_ids=[time.id for time in times[n % 2:][::-1]][:n % 3], fee=fee,
                        meet_link=TRICKY[n % len(TRICKY)] if n % 3 else "",
                        profile=profile)
        async with store.unit_of_work() as uow:
            await uow.doctors.add(doctor)
            await uow.commit()
        expected.append(DoctorReadModel(
            id=doctor.id, user=display_name(user.username, first, last), profile=profile or None,
            designation=tuple(d.name for d in chosen), specialisation=tuple(
                s.name for s in specialisations if s.id in doctor.specialisation_ids),
            available_time=tuple(sorted(doctor.available_time_ids)), fee=fee, meet_link=doctor.meet_link,
            user_id=user.id,
        ))
    return fee, expected


async def test_the_rendered_page_is_the_read_models_msgspec_encoding(any_container):
    fee, expected = await _tricky_doctors(any_container)
    async with any_container.unit_of_work() as uow:
        page = await uow.doctor_reads.page(page=PageRequest.of(1, 1000), filters=DoctorFilters(fee=fee))
        one = await uow.doctor_reads.get(expected[-1].id)
    assert page.items.json == msgspec.json.encode(expected)  # type: ignore[attr-defined]
    assert list(page.items) == expected
    assert one == expected[-1]


async def test_the_page_on_the_wire_is_the_encoding_of_doctor_out(client, direct):
    fee, expected = await _tricky_doctors(direct)
    response = await client.get(f"/doctors/?fee={fee}&limits=1000")
    assert response.status_code == 200, response.text
    media = "http://testserver.local/media/"
    results = [
        DoctorOut(v.id, v.user, media + v.profile if v.profile else None, v.designation, v.specialisation,
                  v.available_time, v.fee, v.meet_link, v.user_id)
        for v in expected
    ]
    assert response.content == (
        b'{"count":%d,"next":null,"previous":null,"results":' % len(expected) + msgspec.json.encode(results) + b"}"
    )
    single = await client.get(f"/doctors/{expected[-1].id}/")
    assert single.content == msgspec.json.encode(results[-1])


@pytest.mark.parametrize("media", ["http://h/media/", 'http://h"\\/media/'])
def test_the_image_prefix_goes_only_where_profile_is_a_key(media):
    from hospital.entrypoints.http.routes.doctors import rendered_all

    doctor = DoctorReadModel(id=1, user='"profile":"x', profile="a.png", designation=('"profile":"',),
                             specialisation=(), available_time=(1,), fee=0, meet_link="\\", user_id=2)
    out = DoctorOut(1, doctor.user, media + "a.png", doctor.designation, (), (1,), 0, "\\", 2)
    assert bytes(rendered_all(media, [doctor])) == msgspec.json.encode([out])


def test_a_page_knows_how_many_doctors_it_holds_without_decoding_them():
    def undecodable(json: bytes) -> list[DoctorReadModel]:
        raise AssertionError("decoded")

    views = DoctorViews(b"[{},{}]", 2, undecodable)
    assert (len(views), Page(views, 5, PageRequest.of(1, 2)).has_next) == (2, True)
