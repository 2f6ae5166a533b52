"""Errors that belong to the application, not to any one entity."""

from __future__ import annotations

from hospital.domain.errors import DomainError


class AuthenticationError(DomainError):
    """No credentials, or credentials that are invalid, expired or revoked."""

    default_message = "Authentication credentials were not provided."


class InvalidCredentialsError(AuthenticationError):
    """Login refused: an unknown user, a wrong password and an inactive account are told apart by no one."""

    # The same words for an unknown user and a wrong password: no account enumeration.
    default_message = "No active account found with the given credentials"


class InvalidTokenError(AuthenticationError):
    """A token that is forged, malformed, revoked, of the wrong type or expired (RFC 6750 ``invalid_token``)."""

    default_message = "Token is invalid or expired"


class TokenExpiredError(InvalidTokenError):
    """A genuine token past its expiry: the client should refresh it (or log in again), not give up."""

    default_message = "The token expired"

    @classmethod
    def of_type(cls, token_type: str) -> TokenExpiredError:
        return cls(f"The {token_type} token expired")


class ServiceUnavailableError(DomainError):
    """The database (or another backing service) cannot be reached right now."""

    default_message = "The service is temporarily unavailable. Please try again shortly."


class ConcurrentChangeError(DomainError):
    """Another request changed or removed the record between this unit of work's load and its write
    (the record's version moved: the repositories check it in every UPDATE and DELETE).

    Commands re-run from their load when they get it (``rerun_on_concurrent_change``); a client sees
    it (409) only when its command lost that often in a row.
    """

    default_message = "This record was changed by another request; reload it and try again."


class ConnectionLostError(ServiceUnavailableError):
    """The connection to the database ended (a restart, a failover, an administrator's
    ``pg_terminate_backend``) before this unit of work sent its COMMIT: the database rolled the
    work back, so nothing of it was written and it may run again from its load on a new
    connection (``rerun_on_concurrent_change`` does so). A caller sees it (503) only when its
    unit lost its connection that often in a row."""


class CommitOutcomeUnknownError(ServiceUnavailableError):
    """The database did not say whether the work was committed (the connection was lost while the
    COMMIT was on its way, and asked afterwards what became of the transaction, it did not answer).
    It may have been: whatever the work refers to (a stored image) must stay, and the work is never
    run again by itself (it could then be done twice)."""

    default_message = ("The connection to the database was lost while this change was being saved: it may or "
                       "may not have been saved. Reload the record before trying again.")
