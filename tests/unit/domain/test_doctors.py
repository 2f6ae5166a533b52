import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.actors import ANONYMOUS, Actor
from hospital.domain.doctors import Doctor, normalize_meet_link
from hospital.domain.errors import PermissionDeniedError, ValidationError

BAD_LINK = {"meet_link": ["Enter a valid https URL."]}


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


def make(**changes) -> Doctor:
    fields = dict(
        user_id=7, designation_ids=[1], specialisation_ids=[2], available_time_ids=[3, 4], fee=500,
        meet_link="https://meet.example.com/abc", profile="doctors/p.png",
    )
    fields.update(changes)
    return Doctor.create(**fields)


def snapshot(doctor: Doctor) -> tuple:
    return (doctor.user_id, doctor.designation_ids, doctor.specialisation_ids, doctor.available_time_ids,
            doctor.fee, doctor.meet_link, doctor.profile)


# create


def test_create_keeps_the_fields():
    doctor = make()
    assert snapshot(doctor) == (7, [1], [2], [3, 4], 500, "https://meet.example.com/abc", "doctors/p.png")
    assert doctor.id is None


def test_create_defaults_to_no_link_and_no_picture():
    doctor = Doctor.create(user_id=1, designation_ids=[1], specialisation_ids=[1], available_time_ids=[1],
                           fee=0)
    assert (doctor.meet_link, doctor.profile) == ("", None)


def test_create_drops_repeated_ids_keeping_their_order():
    doctor = make(
        designation_ids=[3, 1, 3, 2, 1], specialisation_ids=(5, 5), available_time_ids=iter([9, 8, 9])
    )
    assert (doctor.designation_ids, doctor.specialisation_ids, doctor.available_time_ids) == (
        [3, 1, 2], [5], [9, 8],
    )


def test_create_refuses_empty_lists_under_the_api_field_names():
    assert errors_of(lambda: make(designation_ids=[], specialisation_ids=[], available_time_ids=[])) == {
        "designation": ["This list may not be empty."],
        "specialisation": ["This list may not be empty."],
        "available_time": ["This list may not be empty."],
    }


def test_create_requires_the_lists_and_the_fee():
    assert errors_of(lambda: make(designation_ids=None, specialisation_ids=None, available_time_ids=None,
                                  fee=None)) == {
        "designation": ["This field is required."],
        "specialisation": ["This field is required."],
        "available_time": ["This field is required."],
        "fee": ["This field is required."],
    }


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([0], 'Invalid pk "0" - object does not exist.'),
        ([1, -3], 'Invalid pk "-3" - object does not exist.'),
        (["1"], "Incorrect type. Expected pk value, received str."),
        ([True], "Incorrect type. Expected pk value, received bool."),
    ],
)
def test_create_refuses_ids_that_cannot_exist(ids, message):
    assert errors_of(lambda: make(specialisation_ids=ids)) == {"specialisation": [message]}


def test_create_reports_every_problem_at_once():
    errors = errors_of(lambda: make(designation_ids=[], fee=-1, meet_link="http://meet.example.com"))
    assert set(errors) == {"designation", "fee", "meet_link"}


# fee


@pytest.mark.parametrize("fee", [0, 1, 10_000_000])
def test_fee_bounds_are_inclusive(fee):
    assert make(fee=fee).fee == fee


def test_fee_over_the_column_size_is_refused():
    assert errors_of(lambda: make(fee=10_000_001)) == {
        "fee": ["Ensure this value is less than or equal to 10000000."]
    }


@pytest.mark.parametrize("fee", [True, 1.5, "100"])
def test_fee_must_be_an_integer(fee):
    assert errors_of(lambda: make(fee=fee)) == {"fee": ["A valid integer is required."]}


@given(st.integers(max_value=-1))
def test_a_negative_fee_is_always_refused(fee):
    assert errors_of(lambda: make(fee=fee)) == {"fee": ["Ensure this value is greater than or equal to 0."]}
    doctor = make()
    assert set(errors_of(lambda: doctor.update(fee=fee))) == {"fee"}
    assert doctor.fee == 500


# meet_link


@pytest.mark.parametrize(
    "link",
    [
        "https://meet.google.com/abc-defg-hij",
        "https://zoom.us/j/123456?pwd=abc",
        "https://teams.example.co.uk:8443/room#start",
        "https://192.0.2.10/room",
        "https://[2001:db8::1]/room",
        "https://xn--mnchen-3ya.de/raum",
        "https://münchen.de/raum",
    ],
)
def test_meet_link_accepts_https_urls(link):
    assert make(meet_link=link).meet_link == link


def test_meet_link_may_be_empty():
    assert make(meet_link="").meet_link == ""


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "http://meet.example.com",
        "ftp://meet.example.com",
        "//meet.example.com/abc",
        "HTTPS://meet.example.com",
        " https://meet.example.com",
        "https://meet.example.com ",
        "https:meet.example.com",
        "https://",
        "https:///room",
        "https://localhost/room",
        "https://meet.example.com:99999/",
        "https://meet.example.com:port/",
        "https://meet.example.com:/",
        "https://meet.example.com@evil.example/",
        "https://meet.example.com\\@evil.example/",
        "https://meet .example.com/",
        "https://meet.example.com/a\tb",
        "https://meet.example.com/\nSet-Cookie:x",
        "https://meet.example.com/\u202egnp.exe",
        "https://meet.example.com/\u200b",
        'https://meet.example.com/"onmouseover="alert(1)',
        "https://meet.example.com/<script>",
        "https://-bad.example.com/",
        "https://bad_host.example.com/",
        "https://1.2.3/",
        "https://[not-ipv6]/",
        "https://[::1/",
        "https://meet.example.123/",
    ],
)
def test_meet_link_refuses_anything_but_a_clean_https_url(link):
    assert errors_of(lambda: make(meet_link=link)) == BAD_LINK


def test_meet_link_is_at_most_250_characters():
    prefix = "https://meet.example.com/"
    exact = prefix + "a" * (250 - len(prefix))
    assert make(meet_link=exact).meet_link == exact
    assert errors_of(lambda: make(meet_link=exact + "a")) == {
        "meet_link": ["Ensure this field has no more than 250 characters."]
    }


@given(st.text(min_size=1).filter(lambda text: not text.startswith("https://")))
def test_anything_not_starting_with_https_is_refused(link):
    assert errors_of(lambda: normalize_meet_link(link))


@given(st.text().map(lambda rest: "https://" + rest))
def test_an_https_prefix_alone_is_not_enough_to_be_stored_unchecked(link):
    try:
        assert normalize_meet_link(link) == link
    except ValidationError as error:
        assert set(error.errors) == {"meet_link"}
    else:
        assert not any(character.isspace() for character in link)


_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_HOSTS = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(_LABEL, min_size=1, max_size=3),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)
_PORTS = st.one_of(st.just(""), st.integers(1, 65535).map(lambda port: f":{port}"))
_PATHS = st.from_regex(r"(/[A-Za-z0-9._~%!$&'()*+,;=:-]{0,12}){0,4}", fullmatch=True)
_QUERIES = st.one_of(st.just(""), st.from_regex(r"\?[A-Za-z0-9=&_-]{0,20}", fullmatch=True))
_FRAGMENTS = st.one_of(st.just(""), st.from_regex(r"#[A-Za-z0-9_-]{0,10}", fullmatch=True))


@given(_HOSTS, _PORTS, _PATHS, _QUERIES, _FRAGMENTS)
def test_well_formed_https_urls_are_accepted(host, port, path, query, fragment):
    link = f"https://{host}{port}{path}{query}{fragment}"
    assert normalize_meet_link(link) == link


# update


def test_update_changes_only_the_given_fields():
    doctor = make()
    doctor.update(fee=800, available_time_ids=[4, 4, 5], meet_link="", profile="doctors/q.png")
    assert snapshot(doctor) == (7, [1], [2], [4, 5], 800, "", "doctors/q.png")


def test_update_with_nothing_changes_nothing():
    doctor = make()
    before = snapshot(doctor)
    doctor.update()
    assert snapshot(doctor) == before


def test_update_changes_nothing_when_any_field_is_invalid():
    doctor = make()
    before = snapshot(doctor)
    errors = errors_of(lambda: doctor.update(
        designation_ids=[5], specialisation_ids=[], fee=900, meet_link="javascript:alert(1)",
        profile="doctors/q.png",
    ))
    assert set(errors) == {"specialisation", "meet_link"}
    assert snapshot(doctor) == before


# permissions


@pytest.mark.parametrize(
    "actor", [Actor(user_id=7, doctor_id=3), Actor(user_id=1, is_staff=True), Actor(user_id=7)]
)
def test_the_doctor_and_admins_may_change_the_record(actor):
    make().ensure_changeable_by(actor)


@pytest.mark.parametrize(
    "actor", [ANONYMOUS, Actor(user_id=8, doctor_id=4), Actor(user_id=9, patient_id=2), Actor(is_staff=True)]
)
def test_anyone_else_may_not(actor):
    with pytest.raises(PermissionDeniedError):
        make().ensure_changeable_by(actor)


# reassigning the record to another user


def test_an_admin_moves_the_record_to_another_user():
    doctor = make()
    doctor.reassign(8, by=Actor(user_id=1, is_staff=True))
    assert doctor.user_id == 8


@pytest.mark.parametrize("actor", [Actor(user_id=7, doctor_id=1), Actor(user_id=2, patient_id=2), ANONYMOUS])
def test_nobody_else_moves_it_not_even_the_doctor(actor):
    doctor = make()
    with pytest.raises(PermissionDeniedError):
        doctor.reassign(8, by=actor)
    assert doctor.user_id == 7


def test_naming_the_current_user_is_no_change_and_allowed_to_anyone():
    doctor = make()
    doctor.reassign(7, by=Actor(user_id=7, doctor_id=1))
    assert doctor.user_id == 7


def test_create_reports_lists_and_fee_not_sent_as_required():
    assert errors_of(lambda: Doctor.create(user_id=1, designation_ids=None, specialisation_ids=None,
                                           available_time_ids=None, fee=None)) == {
        "designation": ["This field is required."], "specialisation": ["This field is required."],
        "available_time": ["This field is required."], "fee": ["This field is required."],
    }
