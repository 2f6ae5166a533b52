"""Repositories of the clinic catalogue, and the read side of the doctor list."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, overload

from hospital.application.pagination import Page, PageRequest
from hospital.domain.catalogue import MedicalService
from hospital.domain.contacts import Contact
from hospital.domain.doctors import Doctor
from hospital.domain.errors import ConflictError
from hospital.domain.schedules import AvailableTime
from hospital.domain.taxonomy import Designation, Specialisation
from hospital.domain.time_windows import format_clock

TaxonT = TypeVar("TaxonT", Designation, Specialisation)


class DuplicateSlugError(ConflictError):
    """Raised by the use case that sees the slug taken, and by a repository that loses the race to it."""

    def __init__(self, label: str) -> None:
        super().__init__({"slug": [f"{label} with this slug already exists."]})


class DuplicateDoctorError(ConflictError):
    """A user has one doctor record at most."""

    def __init__(self) -> None:
        super().__init__({"user": ["doctor with this user already exists."]})


class DoctorRepository(Protocol):
    """Doctors with their designation, specialisation and available-time id lists."""

    async def add(self, doctor: Doctor) -> None:
        """Store a new doctor with its id lists, and give it an id.

        Raises DuplicateDoctorError when the user already has a doctor record.
        """
        ...

    async def get(self, doctor_id: int) -> Doctor | None:
        """The doctor to change, read with the names its view shows (``view_loaded``)."""
        ...

    def view_loaded(self, doctor: Doctor) -> DoctorReadModel | None:
        """The view of ``doctor`` as it is now, named with what ``get`` read with it; None if it names
        what that read did not (another user, other labels): read the view instead. No statement."""
        ...

    async def get_by_user(self, user_id: int) -> Doctor | None: ...

    async def exists(self, doctor_id: int) -> bool:
        """Whether there is such a doctor, without loading it (one indexed read)."""
        ...

    async def available_time_ids(self, doctor_id: int) -> list[int] | None:
        """The doctor's available time ids, without loading the doctor; None when there is no such doctor."""
        ...

    async def save(self, doctor: Doctor) -> None:
        """Persist changes made to a doctor got from this repository, id lists included.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...

    async def delete(self, doctor: Doctor) -> None:
        """Remove it.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...


class TaxonRepository(Protocol[TaxonT]):
    """Designations or specialisations: one repository type serves both kinds."""

    async def add(self, taxon: TaxonT) -> None:
        """Store and give an id; raises DuplicateSlugError when the slug is taken."""
        ...

    async def get(self, taxon_id: int) -> TaxonT | None: ...

    async def slug_taken(self, slug: str, *, exclude_id: int | None = None) -> bool: ...

    async def existing_ids(self, ids: Iterable[int]) -> set[int]:
        """Which of ``ids`` exist, in one look-up."""
        ...

    async def save(self, taxon: TaxonT) -> None:
        """Persist changes; raises DuplicateSlugError when the new slug is taken.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...

    async def delete(self, taxon: TaxonT) -> None:
        """Remove it, and remove it from every doctor's list.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...


class AvailableTimeRepository(Protocol):
    async def add(self, time: AvailableTime) -> None: ...

    async def get(self, time_id: int) -> AvailableTime | None: ...

    async def existing_ids(self, ids: Iterable[int]) -> set[int]: ...

    async def save(self, time: AvailableTime) -> None:
        """Persist changes made to it.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...

    async def delete(self, time: AvailableTime) -> None:
        """Remove it, and remove it from every doctor's list.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...


class MedicalServiceRepository(Protocol):
    async def add(self, service: MedicalService) -> None: ...

    async def get(self, service_id: int) -> MedicalService | None: ...

    async def save(self, service: MedicalService) -> None:
        """Persist changes made to it.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...

    async def delete(self, service: MedicalService) -> None:
        """Remove it.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...


class ContactRepository(Protocol):
    async def add(self, contact: Contact) -> None: ...

    async def get(self, contact_id: int) -> Contact | None: ...

    async def save(self, contact: Contact) -> None:
        """Persist changes made to it.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...

    async def delete(self, contact: Contact) -> None:
        """Remove it.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...


# Read models: what the use cases answer with. Each is stored (its ``id`` is an ``int``, never None)
# and uses the wire's field names; the HTTP layer only renders them.


@dataclass(frozen=True, slots=True)
class TaxonView:
    """A designation or specialisation: its id, name and slug."""

    id: int
    name: str
    slug: str

    @classmethod
    def of(cls, taxon: Designation | Specialisation) -> TaxonView:
        assert taxon.id is not None, "only a stored taxon is shown"
        return cls(id=taxon.id, name=taxon.name, slug=taxon.slug)


@dataclass(frozen=True, slots=True)
class AvailableTimeView:
    """An available time: its id, its label (``time``) and its window's wall-clock hours ("HH:MM",
    None when the time has no window)."""

    id: int
    time: str
    start: str | None = None
    end: str | None = None

    @classmethod
    def of(cls, time: AvailableTime) -> AvailableTimeView:
        assert time.id is not None, "only a stored time is shown"
        window = time.window
        return cls(id=time.id, time=time.time, start=format_clock(window.start) if window else None,
                   end=format_clock(window.end) if window else None)


@dataclass(frozen=True, slots=True)
class MedicalServiceView:
    """A service of the catalogue; ``image`` is the stored image's name (the HTTP layer makes it a URL)."""

    id: int
    name: str
    description: str
    image: str

    @classmethod
    def of(cls, service: MedicalService) -> MedicalServiceView:
        assert service.id is not None, "only a stored service is shown"
        return cls(id=service.id, name=service.name, description=service.description, image=service.image)


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact request as submitted (``massage`` is the wire's spelling)."""

    id: int
    name: str
    phone: str
    massage: str

    @classmethod
    def of(cls, contact: Contact) -> ContactView:
        assert contact.id is not None, "only a stored contact request is shown"
        return cls(id=contact.id, name=contact.name, phone=contact.phone, massage=contact.massage)


# The read side (CQRS): what the doctor endpoints answer with, straight from storage.


@dataclass(slots=True)
class DoctorReadModel:
    """A doctor as clients see it: the user's display name and the labels' names, resolved.

    Not frozen: a frozen dataclass sets each field through ``object.__setattr__``, about 1 us per
    doctor, a millisecond of every page of 1,000; nothing changes a read model once made.

    The fields are in the order of the wire's keys (``DoctorOut``): a read model's JSON encoding is
    the doctor's object on the wire but for ``profile``, the stored name the HTTP layer prefixes.
    """

    id: int
    user: str
    profile: str | None
    designation: tuple[str, ...]
    specialisation: tuple[str, ...]
    available_time: tuple[int, ...]
    fee: int
    meet_link: str
    user_id: int


class DoctorViews(Sequence[DoctorReadModel]):
    """Doctors as storage rendered them, in id order: ``json``, the UTF-8 JSON array of their read
    models' encodings (keys in field order, compact, ``profile`` the stored name or null), which the
    HTTP layer sends on as text; and the read models themselves, decoded from that same text on
    first use (by ``decode``, the adapter's), so both always say the same.

    Why text: building a read model and a wire object per doctor in Python, then encoding them, was
    most of the CPU of a page of 1,000 (10-12 ms); the database renders each object for less.
    """

    __slots__ = ("_count", "_decode", "_models", "json")

    def __init__(self, json: bytes, count: int, decode: Callable[[bytes], list[DoctorReadModel]]) -> None:
        self.json = json
        self._count = count  # how many: a page's has_next asks, and that must not decode them
        self._decode = decode
        self._models: list[DoctorReadModel] | None = None

    def _all(self) -> list[DoctorReadModel]:
        if self._models is None:
            self._models = self._decode(self.json)
        return self._models

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> DoctorReadModel: ...

    @overload
    def __getitem__(self, index: slice) -> list[DoctorReadModel]: ...

    def __getitem__(self, index: int | slice) -> DoctorReadModel | list[DoctorReadModel]:
        return self._all()[index]

    def __iter__(self) -> Iterator[DoctorReadModel]:
        return iter(self._all())


@dataclass(frozen=True, slots=True)
class DoctorNames:
    """What a doctor's view shows besides the doctor's own record, as read with it: its user's display
    name and the names of the designations and specialisations it was linked to, each in id order."""

    user_id: int
    user: str
    designation_ids: tuple[int, ...]
    designation: tuple[str, ...]
    specialisation_ids: tuple[int, ...]
    specialisation: tuple[str, ...]

    def view_of(self, doctor: Doctor) -> DoctorReadModel | None:
        """The view of ``doctor`` if these names are still its own (the read side lists ids in id order)."""
        designations, specialisations = _in_order(doctor.designation_ids), _in_order(doctor.specialisation_ids)
        if (doctor.id is None or doctor.user_id != self.user_id or designations != self.designation_ids
                or specialisations != self.specialisation_ids):
            return None
        return DoctorReadModel(
            id=doctor.id, user_id=doctor.user_id, user=self.user, profile=doctor.profile,
            designation=self.designation, specialisation=self.specialisation,
            available_time=_in_order(doctor.available_time_ids), fee=doctor.fee, meet_link=doctor.meet_link,
        )


def _in_order(ids: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted(set(ids)))


@dataclass(frozen=True, slots=True)
class DoctorFilters:
    """Each id filter keeps doctors linked to any of its ids; empty means "no filter"."""

    specialisation: tuple[int, ...] = ()
    designation: tuple[int, ...] = ()
    available_time: tuple[int, ...] = ()
    fee: int | None = None


class DoctorReadQueries(Protocol):
    """Every call costs a fixed number of statements, whatever the page size."""

    async def page(self, *, page: PageRequest, filters: DoctorFilters = DoctorFilters()) -> Page[DoctorReadModel]:
        """Ordered by id; the page's items are ``DoctorViews``."""
        ...

    async def get(self, doctor_id: int) -> DoctorReadModel | None: ...

    async def version(self) -> int:
        """A number that changes with every committed write to anything doctors are shown with
        (the doctors, their labels, their users' names): what a cache of doctor views checks."""
        ...


# The read side of the catalogue's small resources: the read models above, straight from
# storage (read_side.py says what every read port guarantees).


class TaxonReads(Protocol):
    async def list(self) -> list[TaxonView]:
        """All of them, by id."""
        ...

    async def get(self, taxon_id: int) -> TaxonView | None: ...


class AvailableTimeReads(Protocol):
    async def list(self, *, time_id: int | None = None) -> list[AvailableTimeView]:
        """By id; ``time_id`` keeps only that one (the list endpoint's ``?id=`` filter)."""
        ...

    async def get(self, time_id: int) -> AvailableTimeView | None: ...


class MedicalServiceReads(Protocol):
    async def list(self) -> list[MedicalServiceView]:
        """All of them, by id."""
        ...

    async def get(self, service_id: int) -> MedicalServiceView | None: ...


class ContactReads(Protocol):
    async def list(self) -> list[ContactView]:
        """All of them, by id."""
        ...

    async def get(self, contact_id: int) -> ContactView | None: ...
