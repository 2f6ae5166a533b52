"""Errors that belong to the application, not to any one entity."""

from hospital.domain.errors import DomainError


class AuthenticationError(DomainError):
    """No credentials, or credentials that are invalid, expired or revoked."""

    default_message = "Authentication credentials were not provided."


class InvalidCredentialsError(AuthenticationError):
    # The same words for an unknown user and a wrong password: no account enumeration.
    default_message = "No active account found with the given credentials"


class InvalidTokenError(AuthenticationError):
    default_message = "Token is invalid or expired"


class ServiceUnavailableError(DomainError):
    """The database (or another backing service) cannot be reached right now."""

    default_message = "The service is temporarily unavailable. Please try again shortly."


class CommitOutcomeUnknownError(ServiceUnavailableError):
    """The database did not say whether the work was committed (the connection was lost while the
    COMMIT was on its way). It may have been: whatever the work refers to (a stored image) must stay."""
