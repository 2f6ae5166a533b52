"""Doctors: a user's practising record, with the labels, slots and fee patients choose by."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hospital.domain.actors import Actor
from hospital.domain.errors import ErrorCollector, PermissionDeniedError, ValidationError

FEE_MAX = 10_000_000
MEET_LINK_MAX = 250
INVALID_MEET_LINK = "Enter a valid https URL."
EMPTY_LIST = "This list may not be empty."
REQUIRED = "This field is required."
# Characters RFC 3986 never allows unencoded; refusing them also keeps the link inert if echoed into HTML.
_UNSAFE_URL_CHARACTERS = frozenset('<>"`{}|\\^')
_HOST_LABEL = re.compile(r"^[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?\Z")


def normalize_fee(fee: int) -> int:
    if isinstance(fee, bool) or not isinstance(fee, int):
        raise ValidationError.field("fee", "A valid integer is required.")
    if fee < 0:
        raise ValidationError.field("fee", "Ensure this value is greater than or equal to 0.")
    if fee > FEE_MAX:
        raise ValidationError.field("fee", f"Ensure this value is less than or equal to {FEE_MAX}.")
    return fee


def normalize_ids(ids: Iterable[int], field: str) -> list[int]:
    """At least one id; repeats dropped in order. Whether each id exists is the application's check."""
    ids = list(ids)
    if not ids:
        raise ValidationError.field(field, EMPTY_LIST)
    for pk in ids:
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise ValidationError.field(
                field, f"Incorrect type. Expected pk value, received {type(pk).__name__}."
            )
        if pk < 1:
            raise ValidationError.field(field, f'Invalid pk "{pk}" - object does not exist.')
    return list(dict.fromkeys(ids))


def _is_valid_host(hostname: str, bracketed: bool) -> bool:
    if bracketed:
        try:
            ipaddress.IPv6Address(hostname)
        except ValueError:
            return False
        return True
    labels = hostname.split(".")
    if all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(hostname)
        except ValueError:
            return False
        return True
    # A meeting is reached over the internet, so a bare name such as "localhost" is not a meet link.
    return (
        len(hostname) <= 253
        and len(labels) >= 2
        and all(_HOST_LABEL.match(label) for label in labels)
        and not labels[-1].isdigit()
    )


def _is_https_url(link: str) -> bool:
    if not link.startswith("https://"):
        return False
    for character in link:
        # Categories C* and Z*: whitespace, controls, bidi overrides, zero-width and unassigned characters.
        if character in _UNSAFE_URL_CHARACTERS or unicodedata.category(character)[0] in "CZ":
            return False
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        return False
    # User info before the host ("https://meet.example.com@evil.example") only serves to mislead.
    if "@" in parts.netloc or parts.netloc.endswith(":") or not parts.hostname:
        return False
    return _is_valid_host(parts.hostname, bracketed=parts.netloc.startswith("["))


def normalize_meet_link(link: str) -> str:
    """Empty (no link) or an absolute https URL with a host; taken as typed, never trimmed or rewritten."""
    if link == "":
        return link
    if len(link) > MEET_LINK_MAX:
        raise ValidationError.field(
            "meet_link", f"Ensure this field has no more than {MEET_LINK_MAX} characters."
        )
    if not _is_https_url(link):
        raise ValidationError.field("meet_link", INVALID_MEET_LINK)
    return link


@dataclass(eq=False)
class Doctor:
    user_id: int
    designation_ids: list[int]
    specialisation_ids: list[int]
    available_time_ids: list[int]
    fee: int
    meet_link: str = ""
    profile: str | None = None
    id: int | None = None

    @classmethod
    def create(cls, *, user_id: int, designation_ids: Iterable[int] | None,
               specialisation_ids: Iterable[int] | None, available_time_ids: Iterable[int] | None,
               fee: int | None, meet_link: str = "", profile: str | None = None) -> Doctor:
        """None for a list or the fee means "not sent", reported as "This field is required."."""
        values = _validated(
            designation_ids=designation_ids, specialisation_ids=specialisation_ids,
            available_time_ids=available_time_ids, fee=fee, meet_link=meet_link, required=True,
        )
        return cls(user_id=user_id, profile=profile, **values)

    def update(self, *, designation_ids: Iterable[int] | None = None,
               specialisation_ids: Iterable[int] | None = None,
               available_time_ids: Iterable[int] | None = None, fee: int | None = None,
               meet_link: str | None = None, profile: str | None = None) -> None:
        """None leaves a field as it is; every field is checked before any is changed."""
        values = _validated(
            designation_ids=designation_ids, specialisation_ids=specialisation_ids,
            available_time_ids=available_time_ids, fee=fee, meet_link=meet_link, required=False,
        )
        for name, value in values.items():
            setattr(self, name, value)
        if profile is not None:
            self.profile = profile

    def ensure_changeable_by(self, actor: Actor) -> None:
        """The doctor themself or an admin; anyone may read a doctor, so this is a 403, not a 404."""
        if not (actor.is_admin or actor.owns_user(self.user_id)):
            raise PermissionDeniedError()

    def reassign(self, user_id: int, *, by: Actor) -> None:
        """Move the record to another user: an admin's decision, never the doctor's own.

        Naming the current user again is no change, so a doctor may send their own id back.
        Whether the user exists and is not a doctor already is the application's check.
        """
        if user_id == self.user_id:
            return
        if not by.is_admin:
            raise PermissionDeniedError("Only an administrator may change the user of a doctor.")
        self.user_id = user_id


def _validated(*, designation_ids: Iterable[int] | None, specialisation_ids: Iterable[int] | None,
               available_time_ids: Iterable[int] | None, fee: int | None,
               meet_link: str | None, required: bool) -> dict[str, Any]:
    """Checks the given fields (None = not given) and returns them normalised, by attribute name.

    ``required`` makes a missing list or fee an error (on create); a missing meet_link is always "".

    Errors are filed under the API's field names ("designation", not "designation_ids").
    """
    errors = ErrorCollector()
    values: dict[str, Any] = {}
    id_lists = (
        ("designation_ids", "designation", designation_ids),
        ("specialisation_ids", "specialisation", specialisation_ids),
        ("available_time_ids", "available_time", available_time_ids),
    )
    for attribute, field, ids in id_lists:
        if ids is not None:
            values[attribute] = errors.check(field, lambda ids=ids, field=field: normalize_ids(ids, field))
        elif required:
            errors.add(field, REQUIRED)
    if fee is not None:
        values["fee"] = errors.check("fee", lambda: normalize_fee(fee))
    elif required:
        errors.add("fee", REQUIRED)
    if meet_link is not None:
        values["meet_link"] = errors.check("meet_link", lambda: normalize_meet_link(meet_link))
    errors.raise_if_any()
    return values
