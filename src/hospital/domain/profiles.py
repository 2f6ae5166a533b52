"""User profiles: the personal page every user may have one of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hospital.domain.actors import Actor
from hospital.domain.errors import ErrorCollector, NotFoundError
from hospital.domain.text import bounded_text

ADDRESS_MAX = 255
BIO_MAX = 5000
PROFILE_EXISTS = "You already have a profile."


def ensure_profile_readable_by(actor: Actor, *, owner: int) -> None:
    """A profile of the user ``owner`` is its owner's and admins'; to anyone else it does not exist
    (404, not 403)."""
    if not (actor.is_admin or actor.owns_user(owner)):
        raise NotFoundError()


@dataclass(eq=False)
class UserProfile:
    user_id: int
    bio: str = ""
    address: str = ""
    date_of_birth: date | None = None
    profile_picture: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    id: int | None = None

    @classmethod
    def create(cls, *, user_id: int, now: datetime, bio: str = "", address: str = "",
               date_of_birth: date | None = None, profile_picture: str | None = None) -> UserProfile:
        profile = cls(user_id=user_id, created_at=now, updated_at=now)
        profile.update(now=now, bio=bio, address=address, date_of_birth=date_of_birth,
                       profile_picture=profile_picture)
        return profile

    def update(self, *, now: datetime, bio: str | None = None, address: str | None = None,
               date_of_birth: date | None = None, clear_date_of_birth: bool = False,
               profile_picture: str | None = None) -> None:
        errors = ErrorCollector()
        if bio is not None:
            errors.check("bio", lambda: bounded_text(bio, "bio", BIO_MAX))
        if address is not None:
            errors.check("address", lambda: bounded_text(address, "address", ADDRESS_MAX))
        if date_of_birth is not None and date_of_birth > now.date():
            errors.add("date_of_birth", "Date of birth cannot be in the future.")
        errors.raise_if_any()
        if bio is not None:
            self.bio = bio
        if address is not None:
            self.address = address
        if date_of_birth is not None:
            self.date_of_birth = date_of_birth
        elif clear_date_of_birth:
            self.date_of_birth = None
        if profile_picture is not None:
            self.profile_picture = profile_picture
        self.updated_at = now

    def ensure_readable_by(self, actor: Actor) -> None:
        ensure_profile_readable_by(actor, owner=self.user_id)

    def ensure_changeable_by(self, actor: Actor) -> None:
        # Whoever may read a profile may change and delete it: its owner and admins (DESIGN.md §3).
        self.ensure_readable_by(actor)
