"""Domain errors by category. The HTTP layer maps each category to one status code."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

NON_FIELD_ERRORS = "non_field_errors"
T = TypeVar("T")


class DomainError(Exception):
    """Base of every error the domain and application raise on purpose."""

    default_message = "The request could not be served."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFoundError(DomainError):
    """The object does not exist, or the caller may not know that it exists."""

    default_message = "Not found."


class PermissionDeniedError(DomainError):
    """The caller may see the object but not do this to it."""

    default_message = "You do not have permission to perform this action."


class ValidationError(DomainError):
    """Invalid input; carries messages per field (``non_field_errors`` for the rest)."""

    default_message = "Invalid input."

    def __init__(self, errors: Mapping[str, Sequence[str] | str] | str | None = None) -> None:
        if errors is None:
            errors = self.default_message
        if isinstance(errors, str):
            errors = {NON_FIELD_ERRORS: [errors]}
        self.errors: dict[str, list[str]] = {
            field: [messages] if isinstance(messages, str) else list(messages)
            for field, messages in errors.items()
        }
        first = next(iter(self.errors.values()), [self.default_message])
        super().__init__(first[0] if first else self.default_message)

    @classmethod
    def field(cls, name: str, message: str) -> ValidationError:
        return cls({name: [message]})


class ConflictError(ValidationError):
    """The input collides with existing data (a duplicate username, a second review...)."""

    default_message = "This object already exists."


class ClashError(DomainError):
    """A valid request that collides with what holds now: the slot is taken, the patient is busy
    then (409). Carries messages per field, as ValidationError does."""

    default_message = "This collides with another booking."

    def __init__(self, errors: Mapping[str, Sequence[str] | str] | str | None = None) -> None:
        self.errors = ValidationError(errors if errors is not None else self.default_message).errors
        first = next(iter(self.errors.values()))
        super().__init__(first[0])

    @classmethod
    def field(cls, name: str, message: str) -> ClashError:
        return cls({name: [message]})


class ErrorCollector:
    """Gathers field errors so one request reports every problem at once, like the original."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def check(self, field: str, validate: Callable[[], T]) -> T | None:
        """Run one check; its messages are filed under ``field``."""
        try:
            return validate()
        except ValidationError as error:
            for messages in error.errors.values():
                for message in messages:
                    self.add(field, message)
            return None

    def collect(self, validate: Callable[[], T]) -> T | None:
        """Run a check that names its own fields; keep its messages where it filed them."""
        try:
            return validate()
        except ValidationError as error:
            for field, messages in error.errors.items():
                for message in messages:
                    self.add(field, message)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
