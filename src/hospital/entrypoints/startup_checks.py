"""Checks made before serving, beyond each setting's own parsing: refuse what cannot work or is
unsafe, with a message that says what to change; warn about what works but is probably a mistake.
"""

from __future__ import annotations

import asyncio
import ipaddress
from urllib.parse import urlsplit

from hospital import bootstrap
from hospital.settings import Settings, SettingsError


def _check_trusted_proxies(settings: Settings) -> None:
    for proxy in settings.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(
                f"HOSPITAL_TRUSTED_PROXIES: {proxy!r} is not an IP address or network "
                "(expected e.g. 127.0.0.1,10.0.0.0/8)."
            ) from None


def _check_cors_origins(settings: Settings) -> None:
    for origin in settings.cors_origins:
        if origin == "*":
            continue  # refused in production by Settings itself; allowed in development
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path or parts.query:
            raise SettingsError(
                f"HOSPITAL_CORS_ORIGINS: {origin!r} is not an origin (expected scheme://host[:port], "
                "e.g. https://app.example.org, with no path or trailing slash)."
            )


def refuse_unusable(settings: Settings) -> None:
    """Raise SettingsError for a setting that parses but cannot be served with (no connection is made)."""
    _check_trusted_proxies(settings)
    _check_cors_origins(settings)
    problem = bootstrap.configuration_problem(settings)
    if problem:
        raise SettingsError(problem)


def refuse_unreachable(settings: Settings, *, needs_schema: bool = True) -> None:
    """Raise SettingsError unless the database (migrated, with ``needs_schema``) and Redis answer now."""
    problem = asyncio.run(bootstrap.service_problem(settings, needs_schema=needs_schema))
    if problem:
        raise SettingsError(problem)


def serving_warnings(settings: Settings, workers: int) -> list[str]:
    warnings = []
    if workers > 1 and not settings.redis_url:
        warnings.append(
            f"{workers} workers without HOSPITAL_REDIS_URL: each worker keeps its own rate-limit "
            f"counters, so clients get up to {workers} times the configured limits."
        )
    return warnings
