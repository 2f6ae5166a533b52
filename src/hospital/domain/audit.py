"""Audit events: who did what to which patient's data, sealed into SHA-256 hash chains.

An event says who acted (user id and role; None for anonymous), what they did (an action on a
resource type and id), which patients' data it concerned, how it ended (the outcome), and where
the call came from (client address, request id, user agent). It never holds a clinical value
(symptoms, review text), a password or a token: the fields below are all there is.

Tamper evidence. Events are written into *chains*: a chain is a sequence of events written one after
the other by one writer (a lane of one process, adapters/audit_lanes.py), numbered 1, 2, 3... by
``seq``. Every event carries the hash of the chain's previous event (``prev_hash``; ``GENESIS`` for
the first) and its own hash, the SHA-256 of its canonical content (``canonical_content``), which
covers every field but ``seq`` and ``hash`` -- so the order of a chain is what the hashes link, and
``seq`` is only where the store says each event stands. ``ChainVerifier`` walks each chain as stored
and names the first event that was

- **changed**: its content no longer hashes to its hash;
- **removed**: the chain skips numbers before it (or does not start at 1);
- **out of order**: numbered in sequence, but not linked to the event stored before it (rows moved,
  renumbered or taken from another chain).

What a hash chain cannot show by itself: the newest events of a chain, or whole chains, deleted
(the remaining ones still link). ``chain_heads`` are what to keep elsewhere to catch that
(docs/audit.md).

Pure and stdlib only: every store computes and checks the same bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from hashlib import sha256
from json.encoder import encode_basestring_ascii as _quoted

from hospital.domain.actors import Actor

GENESIS = "0" * 64


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    DENIED = "denied"  # 403, or a failed login / refused token
    NOT_FOUND = "not-found"  # 404: missing, or someone else's record the caller may not know exists
    INVALID = "invalid"  # 400: the request was refused for its content


class AuditAction(StrEnum):
    CREATE = "create"
    READ = "read"
    SEARCH = "search"  # a list call: one event naming every patient whose data the page returned
    UPDATE = "update"
    DELETE = "delete"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    STATUS_CHANGE = "status-change"
    LOGIN = "login"
    LOGOUT = "logout"
    REFRESH = "refresh"
    TOKEN_REUSE = "token-reuse"  # a revoked refresh token presented again: its family is revoked
    DEACTIVATE = "deactivate"
    PASSWORD_CHANGE = "password-change"

    @property
    def fhir_code(self) -> str:
        """FHIR R4 AuditEvent.action: Create, Read/view/print, Update, Delete, Execute."""
        return _FHIR_ACTIONS.get(self, "E")

    @property
    def changes_data(self) -> bool:
        return self.fhir_code in {"C", "U", "D"}


_FHIR_ACTIONS = {
    AuditAction.CREATE: "C",
    AuditAction.READ: "R",
    AuditAction.SEARCH: "R",
    AuditAction.UPDATE: "U",
    AuditAction.CANCEL: "U",
    AuditAction.RESCHEDULE: "U",
    AuditAction.STATUS_CHANGE: "U",
    AuditAction.DELETE: "D",
}


class ResourceType(StrEnum):
    PATIENT = "patient"
    PROFILE = "profile"
    APPOINTMENT = "appointment"
    REVIEW = "review"
    CONTACT = "contact"
    USER = "user"


class ActorRole(StrEnum):
    ADMIN = "admin"
    DOCTOR = "doctor"
    PATIENT = "patient"
    USER = "user"  # signed in, neither admin nor doctor nor patient
    ANONYMOUS = "anonymous"

    @classmethod
    def of(cls, actor: Actor) -> ActorRole:
        """The role that gave the actor their access: admin, then doctor, then patient."""
        # Actor's fields, not its properties (is_authenticated, is_admin...): asked on every audited
        # call's path, where the four property calls cost more than the rest of this.
        if actor.user_id is None:
            return cls.ANONYMOUS
        if actor.is_staff:
            return cls.ADMIN
        if actor.doctor_id is not None:
            return cls.DOCTOR
        if actor.patient_id is not None:
            return cls.PATIENT
        return cls.USER


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Where a call came from, as the entry point saw it (all optional: a Python caller may know none)."""

    client_address: str | None = None
    request_id: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What a use case reports: the event before a store seals it (id, time, chain, hashes)."""

    action: AuditAction
    resource_type: ResourceType
    outcome: AuditOutcome = AuditOutcome.SUCCESS
    resource_id: int | None = None
    patient_ids: tuple[int, ...] = ()
    actor_user_id: int | None = None
    actor_role: ActorRole = ActorRole.ANONYMOUS
    # Authentication events only: the username as the caller sent it (never a password).
    username: str | None = None
    # List calls: the filters used, by name (never a body's content).
    filters: tuple[tuple[str, str], ...] = ()
    context: RequestContext = field(default_factory=RequestContext)

    @classmethod
    def by(cls, actor: Actor, action: AuditAction, resource_type: ResourceType, *,
           outcome: AuditOutcome = AuditOutcome.SUCCESS, resource_id: int | None = None,
           patient_ids: Iterable[int | None] = (), username: str | None = None,
           filters: Mapping[str, object] | None = None, context: RequestContext | None = None) -> AuditEntry:
        return _new_entry(action, resource_type, outcome, _recordable(resource_id), _patient_ids(patient_ids),
                          actor.user_id, ActorRole.of(actor), username, _filters(filters), context or _NO_CONTEXT)

    @property
    def patient_id(self) -> int | None:
        """The one patient concerned, when there is exactly one."""
        return self.patient_ids[0] if len(self.patient_ids) == 1 else None


# Ids are stored as 64-bit integers. An id beyond them (an absurd id in a refused request's path)
# names no record, and must not make its event, and the batch it is written in, unstorable.
_ID_MIN, _ID_MAX = -(2**63), 2**63 - 1


def _recordable(value: int | None) -> int | None:
    return value if value is not None and _ID_MIN <= value <= _ID_MAX else None


def _patient_ids(ids: Iterable[int | None]) -> tuple[int, ...]:
    # On every audited read's path. A read names one patient (``(patient_id,)``): that tuple is
    # the answer as it is, with no set and no sort. Else one set, the bounds checked on its extremes only.
    if type(ids) is tuple and len(ids) == 1:
        (only,) = ids
        if only is None:
            return ()
        if type(only) is int and _ID_MIN <= only <= _ID_MAX:
            return ids  # type: ignore[return-value]
    unique = set(ids)
    unique.discard(None)
    if unique and (min(unique) < _ID_MIN or max(unique) > _ID_MAX):  # type: ignore[type-var,operator]
        unique = {patient_id for patient_id in unique if _recordable(patient_id) is not None}
    return tuple(sorted(unique))  # type: ignore[type-var,arg-type]


def _filters(filters: Mapping[str, object] | None) -> tuple[tuple[str, str], ...]:
    if not filters:
        return ()
    return tuple(sorted((name, str(value)) for name, value in filters.items() if value not in (None, "")))


_NO_CONTEXT = RequestContext()  # frozen: one shared by every entry made with no context

# Every audited call builds an entry, and every event of a batch an AuditEvent. A frozen dataclass's
# __init__ sets each field with object.__setattr__, which cost more than half of building one (10
# fields: 1.4 us, against 0.5 us here). These make the same instance, every field set once through
# its slot, and nothing else touches the slots: frozen for everyone else.
_new = object.__new__


def _slot_setters(cls: type, names: Sequence[str]) -> tuple[Callable[[object, object], None], ...]:
    # Every field, in order: a field added to the class and not here would be left unset.
    if tuple(names) != tuple(item.name for item in fields(cls)):
        raise AssertionError(f"{cls.__name__}'s fields changed: its maker sets {names}")
    return tuple(cls.__dict__[name].__set__ for name in names)


(_entry_action, _entry_resource_type, _entry_outcome, _entry_resource_id, _entry_patient_ids, _entry_actor_user_id,
 _entry_actor_role, _entry_username, _entry_filters, _entry_context) = _slot_setters(AuditEntry, (
    "action", "resource_type", "outcome", "resource_id", "patient_ids", "actor_user_id", "actor_role", "username",
    "filters", "context"))


def _new_entry(action: AuditAction, resource_type: ResourceType, outcome: AuditOutcome, resource_id: int | None,
               patient_ids: tuple[int, ...], actor_user_id: int | None, actor_role: ActorRole, username: str | None,
               filters: tuple[tuple[str, str], ...], context: RequestContext) -> AuditEntry:
    """``AuditEntry(...)`` of these values (in its fields' order), made as said above."""
    entry = _new(AuditEntry)
    _entry_action(entry, action)
    _entry_resource_type(entry, resource_type)
    _entry_outcome(entry, outcome)
    _entry_resource_id(entry, resource_id)
    _entry_patient_ids(entry, patient_ids)
    _entry_actor_user_id(entry, actor_user_id)
    _entry_actor_role(entry, actor_role)
    _entry_username(entry, username)
    _entry_filters(entry, filters)
    _entry_context(entry, context)
    return entry


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """A sealed event, as stored: an entry with its id, UTC time, chain position and hashes."""

    id: str
    recorded_at: datetime
    chain: str
    seq: int
    prev_hash: str
    hash: str
    entry: AuditEntry

    @classmethod
    def seal(cls, entry: AuditEntry, *, event_id: str, recorded_at: datetime, chain: str, seq: int,
             prev_hash: str) -> AuditEvent:
        (event,) = cls.seal_run((entry,), event_ids=(event_id,), recorded_at=recorded_at, chain=chain, seq=seq,
                                prev_hash=prev_hash)
        return event

    @classmethod
    def seal_run(cls, entries: Sequence[AuditEntry], *, event_ids: Sequence[str], recorded_at: datetime,
                 chain: str, seq: int, prev_hash: str) -> list[AuditEvent]:
        """``seal`` of each entry in turn at one time (a batch's), numbered from ``seq``, each linked
        to the one before: what every event of the run shares (its time's and its chain's JSON text)
        is written once, not per event (sealing is on every audited call's path)."""
        recorded_at = _utc(recorded_at)
        shared = (_quoted(chain), _quoted(_last_time_text(recorded_at)))
        events: list[AuditEvent] = []
        append = events.append
        for entry, event_id in zip(entries, event_ids, strict=True):
            digest = sha256(_canonical(entry, event_id, shared, prev_hash)).hexdigest()
            event = _new(AuditEvent)  # AuditEvent(...), made as ``_new_entry`` says why
            _event_id(event, event_id)
            _event_recorded_at(event, recorded_at)
            _event_chain(event, chain)
            _event_seq(event, seq)
            _event_prev_hash(event, prev_hash)
            _event_hash(event, digest)
            _event_entry(event, entry)
            append(event)
            seq, prev_hash = seq + 1, digest
        return events


(_event_id, _event_recorded_at, _event_chain, _event_seq, _event_prev_hash, _event_hash,
 _event_entry) = _slot_setters(AuditEvent, ("id", "recorded_at", "chain", "seq", "prev_hash", "hash", "entry"))


@dataclass(frozen=True, slots=True)
class OpenAuditEvent:
    """An event sealed but for its resource id, which only the store's INSERT of the resource knows
    (a booking written in one statement with its event, adapters/sqlalchemy/booking_statement.py):
    its canonical content is ``prefix``, then the id as a JSON number, then ``suffix``, so the store
    hashes it as it inserts both. ``sealed`` is the event once the id is known, hashed here: the
    store's hash must equal it."""

    id: str
    recorded_at: datetime
    chain: str
    seq: int
    prev_hash: str
    entry: AuditEntry  # its resource_id None: the gap
    prefix: bytes
    suffix: bytes

    @classmethod
    def open(cls, entry: AuditEntry, *, event_id: str, recorded_at: datetime, chain: str, seq: int,
             prev_hash: str) -> OpenAuditEvent:
        if entry.resource_id is not None:
            raise ValueError("an open event's resource id is the gap the store fills")
        recorded_at = _utc(recorded_at)
        content = _canonical(entry, event_id, (_quoted(chain), _quoted(_last_time_text(recorded_at))), prev_hash)
        # JSON escapes every quote inside a value, so the key and its null occur once, unescaped.
        prefix, gap, rest = content.partition(_RESOURCE_ID_GAP)
        if not gap:
            raise AssertionError("the canonical content lost its resource_id field")
        return cls(id=event_id, recorded_at=recorded_at, chain=chain, seq=seq, prev_hash=prev_hash, entry=entry,
                   prefix=prefix + b'"resource_id":', suffix=b"," + rest)

    def sealed(self, resource_id: int) -> AuditEvent:
        """The event naming ``resource_id``, with the hash of its canonical content."""
        return AuditEvent.seal(replace(self.entry, resource_id=resource_id), event_id=self.id,
                               recorded_at=self.recorded_at, chain=self.chain, seq=self.seq,
                               prev_hash=self.prev_hash)


_RESOURCE_ID_GAP = b'"resource_id":null,'


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("an audit event's time must be aware (UTC)")
    return moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """The one text form of an event's time: UTC, microseconds, 'Z' (what every store keeps exactly)."""
    moment = _utc(moment).replace(tzinfo=None)
    # isoformat writes strftime's text for a four-digit year, at a fifth of its cost (on every event).
    return moment.isoformat("T", "microseconds") + "Z" if moment.year >= 1000 else moment.strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


# A batch's events share one time, and sealing is on the hot path: the text of the last time asked is
# kept. Equal instants are equal keys whatever their offsets, and have one UTC text.
_last_time_text = functools.lru_cache(maxsize=1)(format_time)


def canonical_content(event: AuditEvent) -> bytes:
    """The bytes an event's hash is the SHA-256 of: every field but ``seq`` and ``hash``, as JSON with
    sorted keys, no spaces, ASCII only (``json.dumps(content, sort_keys=True, separators=(",", ":"))``).
    Changing this changes every hash: it is the log's format."""
    shared = (_quoted(event.chain), _quoted(_last_time_text(event.recorded_at)))
    return _canonical(event.entry, event.id, shared, event.prev_hash)


class _QuotedMembers(dict[object, str]):
    """A member's JSON text; any other value's written by ``_quoted`` as any text is, when asked."""

    def __missing__(self, value: object) -> str:
        return _quoted(str(value))


# The JSON text of every member of the entry's enums, written once (a member is equal to, and hashes
# as, its value; a plain string that is no member's is written by ``_quoted`` as any text is).
_QUOTED_MEMBERS = _QuotedMembers({member: _quoted(member.value)
                                  for kind in (AuditAction, AuditOutcome, ActorRole, ResourceType) for member in kind})
_NULL = "null"
_int_text = int.__repr__  # what json.dumps writes for an int


def _canonical(entry: AuditEntry, event_id: str, shared: tuple[str, str], prev_hash: str) -> bytes:
    # What json.dumps writes for the dict of these fields, assembled field by field in sorted key
    # order with json's own string escaping (``encode_basestring_ascii``): sealing is on every
    # audited call's path, and json's encoder walking a dict cost several times more
    # (tests/unit/domain/test_audit_canonical.py checks the bytes against json.dumps). ``shared``:
    # the chain's and the time's JSON text, the same for a run of events (``seal_run``). Names bound
    # once (module globals, the one patient of a read written without a join): 1.45 us -> 1.15 us.
    context, quoted, null, number = entry.context, _QUOTED_MEMBERS, _NULL, _int_text
    chain, time = shared
    user, resource = entry.actor_user_id, entry.resource_id
    address, request, agent, username = context.client_address, context.request_id, context.user_agent, entry.username
    pairs, ids = entry.filters, entry.patient_ids
    filters = ",".join([f"[{_quoted(name)},{_quoted(value)}]" for name, value in pairs]) if pairs else ""
    return (
        f'{{"action":{quoted[entry.action]},"actor_role":{quoted[entry.actor_role]},'
        f'"actor_user_id":{null if user is None else number(user)},"chain":{chain},'
        f'"client_address":{null if address is None else _quoted(address)},"filters":[{filters}],'
        f'"id":{_quoted(event_id)},"outcome":{quoted[entry.outcome]},'
        f'"patient_ids":[{number(ids[0]) if len(ids) == 1 else ",".join(map(number, ids))}],'
        f'"prev_hash":{_quoted(prev_hash)},'
        f'"recorded_at":{time},"request_id":{null if request is None else _quoted(request)},'
        f'"resource_id":{null if resource is None else number(resource)},'
        f'"resource_type":{quoted[entry.resource_type]},'
        f'"user_agent":{null if agent is None else _quoted(agent)},'
        f'"username":{null if username is None else _quoted(username)}}}'
    ).encode("ascii")


def content_hash(event: AuditEvent) -> str:
    return sha256(canonical_content(event)).hexdigest()


class ChainProblem(StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    OUT_OF_ORDER = "out of order"


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first event of a chain that is not as it was written, and what is wrong with it."""

    chain: str
    seq: int
    event_id: str
    problem: ChainProblem

    def describe(self) -> str:
        what = {
            ChainProblem.CHANGED: "was changed (its content does not match its hash)",
            ChainProblem.REMOVED: "follows removed events (numbers are missing before it)",
            ChainProblem.OUT_OF_ORDER: "is out of order (it does not link to the event stored before it)",
        }[self.problem]
        return f"chain {self.chain}, event {self.seq} (id {self.event_id}) {what}"


@dataclass(frozen=True, slots=True)
class ChainHead:
    """Where a chain ends: its last number and hash (kept elsewhere, they show a truncated chain)."""

    chain: str
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Every chain's first break (empty when the log verifies), and every chain's head."""

    events: int
    breaks: tuple[ChainBreak, ...]
    heads: tuple[ChainHead, ...]

    @property
    def valid(self) -> bool:
        return not self.breaks


class ChainVerifier:
    """Checks chains fed event by event, each chain's events in ``seq`` order (chains may interleave):
    a store streams its rows through ``add`` without holding the whole log."""

    def __init__(self) -> None:
        self._state: dict[str, tuple[int, str]] = {}  # chain -> (expected seq, previous hash)
        self._broken: dict[str, ChainBreak] = {}
        self._events = 0

    def add(self, event: AuditEvent) -> None:
        self._events += 1
        if event.chain in self._broken:
            return
        expected_seq, previous_hash = self._state.get(event.chain, (1, GENESIS))
        problem = None
        if content_hash(event) != event.hash:
            problem = ChainProblem.CHANGED
        elif event.seq != expected_seq:
            problem = ChainProblem.REMOVED
        elif event.prev_hash != previous_hash:
            problem = ChainProblem.OUT_OF_ORDER
        if problem is not None:
            self._broken[event.chain] = ChainBreak(event.chain, event.seq, event.id, problem)
        self._state[event.chain] = (event.seq + 1, event.hash)

    def report(self) -> VerificationReport:
        heads = tuple(ChainHead(chain, seq - 1, last) for chain, (seq, last) in sorted(self._state.items()))
        breaks = tuple(self._broken[chain] for chain in sorted(self._broken))
        return VerificationReport(events=self._events, breaks=breaks, heads=heads)


def verify_chain(events: Iterable[AuditEvent]) -> ChainBreak | None:
    """The first event of one chain, given in the order stored (by ``seq``), that is not as written."""
    breaks = verify_events(events).breaks
    return breaks[0] if breaks else None


def verify_events(events: Iterable[AuditEvent]) -> VerificationReport:
    """Every chain of ``events`` (each chain's events in ``seq`` order) verified."""
    verifier = ChainVerifier()
    for event in events:
        verifier.add(event)
    return verifier.report()
