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
