"""Read a request body once, by Content-Type, and convert it to an endpoint's msgspec struct.

Clients of the original send JSON, urlencoded forms or multipart forms to any write endpoint;
files only come by multipart. Lists in forms arrive as repeated keys.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException, HTTPException

from hospital.application.ports.storage import UploadedFile
from hospital.domain.errors import NON_FIELD_ERRORS, ValidationError

S = TypeVar("S", bound=msgspec.Struct)

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
MAX_JSON_DEPTH = 32
REQUIRED = "This field is required."


class UnsupportedMediaTypeError(HTTPException):
    status_code = 415


class ParseError(HTTPException):
    """A body that cannot be read at all: 400 with ``{"detail": ...}``, as the original's parsers answered."""

    status_code = 400


@dataclass(slots=True)
class RequestBody:
    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    is_form: bool = False


def _depth_ok(raw: bytes) -> bool:
    # A cheap upper bound on nesting before decoding: a 1 MB "[[[[..." is refused at once.
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return True  # no deeper than its brackets, counted in C (a typical body: no walk in Python)
    depth = deepest = 0
    for byte in raw:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return False
        elif byte in b"]}":
            depth -= 1
    return True


async def read_body(request: Request) -> RequestBody:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type in FORM_TYPES:
        try:
            form = await request.form()
        except ClientException as error:
            if error.status_code != 400:  # 413 and the like keep their own status
                raise
            raise ParseError(detail=f"Multipart form parse error - {error.detail}") from None
        except UnicodeDecodeError:
            # A part without a filename is a text field; binary content there (an upload whose
            # filename was left empty) is unreadable input, not a server error.
            raise ParseError(detail="Multipart form parse error - a text field is not valid UTF-8") from None
        body = RequestBody(is_form=True)
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                body.files[key] = UploadedFile(
                    filename=value.filename or "", content_type=value.content_type or "",
                    content=await value.read(),
                )
            else:
                body.fields.setdefault(key, []).append(value)
        return body
    raw = await request.body()
    if not raw.strip():
        return RequestBody()
    if media_type not in {"", "application/json"} and not media_type.endswith("+json"):
        raise UnsupportedMediaTypeError(detail=f'Unsupported media type "{media_type}" in request.')
    if not _depth_ok(raw):
        raise ParseError(detail=f"JSON parse error - nesting deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:  # bad UTF-8 inside a string is the latter
        raise ParseError(detail=f"JSON parse error - {error}") from None
    if not isinstance(value, dict):
        kind = "list" if isinstance(value, list) else type(value).__name__
        raise ValidationError(f"Invalid data. Expected a dictionary, but got {kind}.")
    return RequestBody(fields=value)


def _is_list_type(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list_type(arg) for arg in typing.get_args(annotation))
    return False


_TYPE_WORDS = {
    "int": "A valid integer is required.",
    "str": "Not a valid string.",
    "bool": "Must be a valid boolean.",
    "float": "A valid number is required.",
    "array": "Expected a list of items.",
    "object": "Expected a dictionary of items.",
    "date": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    "null": "This field may not be null.",
}
_MESSAGE = re.compile(r"^(?P<text>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]+)`")
_EXPECTED = re.compile(r"Expected `(?P<type>[a-z]+)[^`]*`(?:, got `(?P<got>[a-z]+)`)?")
_MAX_LENGTH = re.compile(r"Expected `str` of length <= (?P<n>\d+)")
_MIN_LENGTH = re.compile(r"Expected `str` of length >= (?P<n>\d+)")
_MAX_ITEMS = re.compile(r"Expected `array` of length <= (?P<n>\d+)")
_GE = re.compile(r"Expected `int` >= (?P<n>-?\d+)")
_LE = re.compile(r"Expected `int` <= (?P<n>-?\d+)")


def drf_message(text: str) -> str:
    """msgspec's wording of one problem, in the original's (Django REST Framework's) words."""
    if m := _MAX_LENGTH.search(text):
        return f"Ensure this field has no more than {m.group('n')} characters."
    if m := _MIN_LENGTH.search(text):
        return "This field may not be blank." if m.group("n") == "1" else (
            f"Ensure this field has at least {m.group('n')} characters.")
    if m := _MAX_ITEMS.search(text):
        return f"Ensure this field has no more than {m.group('n')} elements."
    if m := _GE.search(text):
        return f"Ensure this value is greater than or equal to {m.group('n')}."
    if m := _LE.search(text):
        return f"Ensure this value is less than or equal to {m.group('n')}."
    if m := _EXPECTED.search(text):
        return _TYPE_WORDS["null"] if m.group("got") == "null" else _TYPE_WORDS.get(m.group("type"), text)
    if text.startswith("Invalid enum value"):
        value = text.removeprefix("Invalid enum value").strip(" '")
        return f'"{value}" is not a valid choice.'
    return text


def _field_error(error: msgspec.ValidationError) -> ValidationError:
    """Turn msgspec's message into the original's {field: [message]} shape."""
    match = _MESSAGE.match(str(error))
    text, path = (match.group("text"), match.group("path") or "") if match else (str(error), "")
    field_name = re.split(r"[.\[]", path.lstrip("."), maxsplit=1)[0] if path else ""
    if missing := _MISSING.search(text):
        return ValidationError({field_name or missing.group("name"): [REQUIRED]})
    return ValidationError({field_name or NON_FIELD_ERRORS: [drf_message(text)]})


@functools.cache
def _required(struct_type: type[msgspec.Struct]) -> tuple[str, ...]:
    # msgspec.structs.fields resolves the type hints anew on every call: a tenth of a booking's time.
    return tuple(f.encode_name for f in msgspec.structs.fields(struct_type) if f.required)


@functools.cache
def _field_types(struct_type: type[msgspec.Struct]) -> tuple[tuple[str, Any], ...]:
    return tuple((f.encode_name, f.type) for f in msgspec.structs.fields(struct_type))


def _field_checks(struct_type: type[msgspec.Struct]) -> dict[str, Callable[[Any], object]]:
    """A struct's ``field_checks``: the domain's checks of one field alone (an email's form, a name's
    characters), which Django REST Framework ran per field before any check of several fields."""
    return getattr(struct_type, "field_checks", {})


def _every_error(struct_type: type[msgspec.Struct], data: dict[str, Any]) -> ValidationError:
    """Every field's problem at once, as the original listed them: each field converted on its
    own (msgspec stops at the first problem), missing ones named, the domain's per-field checks run.

    Only called once the body is known to be wrong, so the fast path stays one ``convert``.
    """
    errors: dict[str, list[str]] = {}
    required = set(_required(struct_type))
    checks = _field_checks(struct_type)
    for name, field_type in _field_types(struct_type):
        if name not in data:
            if name in required:
                errors[name] = [REQUIRED]
            continue
        try:
            value = msgspec.convert(data[name], field_type, strict=False)
        except msgspec.ValidationError as error:
            _, message = _located(error)
            errors[name] = [drf_message(message)]
            continue
        check = checks.get(name)
        if check is not None and value is not msgspec.UNSET:
            try:
                check(value)
            except ValidationError as error:
                for field_name, messages in error.errors.items():
                    errors.setdefault(field_name, []).extend(messages)
    return ValidationError(errors or {NON_FIELD_ERRORS: ["Invalid input."]})


def _located(error: msgspec.ValidationError) -> tuple[str, str]:
    match = _MESSAGE.match(str(error))
    return (match.group("path") or "", match.group("text")) if match else ("", str(error))


@functools.cache
def _object_lists(struct_type: type[msgspec.Struct]) -> frozenset[str]:
    """The fields that are lists of structs (objects on the wire)."""
    def of_structs(annotation: Any) -> bool:
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            return any(of_structs(arg) for arg in typing.get_args(annotation))
        if typing.get_origin(annotation) in (list, tuple):
            return any(isinstance(arg, type) and issubclass(arg, msgspec.Struct) for arg in typing.get_args(annotation))
        return False

    hints = typing.get_type_hints(struct_type)
    return frozenset(name for name, annotation in hints.items() if of_structs(annotation))


def _json_items(name: str, values: list[Any]) -> list[Any]:
    """A form's values of a list of objects, each JSON: an array (its items) or one object."""
    items: list[Any] = []
    for value in values:
        raw = value.encode() if isinstance(value, str) else b""
        if isinstance(value, str) and not raw.strip():
            continue  # a blank value is no item (``windows=``: a day off)
        try:
            decoded = msgspec.json.decode(raw) if _depth_ok(raw) else None
        except (msgspec.DecodeError, UnicodeDecodeError):
            decoded = None
        if isinstance(decoded, list):
            items.extend(decoded)
        elif isinstance(decoded, dict):
            items.append(decoded)
        else:
            raise ValidationError.field(name, "In a form, each value must be a JSON object or a JSON array of them.")
    return items


def to_struct(struct_type: type[S], body: RequestBody) -> S:
    """Convert body fields to ``struct_type``; a form's single values are unwrapped from lists.

    Fields not sent keep their struct default (msgspec.UNSET where "unchanged" must be told
    apart from "set to empty", as PATCH needs). A body with any problem is refused with every
    field's problem at once (``_every_error``).
    """
    data: dict[str, Any] = dict(body.fields)
    if body.is_form:
        hints = typing.get_type_hints(struct_type)
        object_lists = _object_lists(struct_type)
        for name, values in list(data.items()):
            if name not in hints:
                del data[name]
            elif name in object_lists:
                data[name] = _json_items(name, values)
            elif not _is_list_type(hints[name]):
                data[name] = values[-1]
    if any(name not in data for name in _required(struct_type)):
        raise _every_error(struct_type, data)
    try:
        converted = msgspec.convert(data, struct_type, strict=False)
    except msgspec.ValidationError as error:
        found = _every_error(struct_type, data)
        if NON_FIELD_ERRORS in found.errors:  # a problem no single field shows: msgspec's own words
            raise _field_error(error) from None
        raise found from None
    # Every field converted: the use case's own checks report every problem they find at once.
    return converted
