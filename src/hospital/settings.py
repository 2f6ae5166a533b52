"""Settings from HOSPITAL_* environment variables, loaded once into a typed object."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

MIN_SECRET_BYTES = 32
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe; the message says which and why."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    requests: int
    period_seconds: int

    @classmethod
    def parse(cls, text: str, name: str) -> RateLimit:
        match = _RATE.match(text)
        if not match:
            raise SettingsError(f"{name}: expected a rate like '20/minute', got {text!r}")
        return cls(int(match.group(1)), _PERIODS[match.group(2).lower()])


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name}: expected true or false, got {value!r}")


def _int(value: str, name: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name}: expected an integer, got {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}, got {number}")
    return number


def _zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SettingsError(
            f"HOSPITAL_DEFAULT_TIMEZONE: {value!r} is not an IANA time zone (e.g. UTC, America/New_York)") from None
    return value


AUDIT_READS = ("batched", "sync", "off")


def _choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    lowered = value.strip().lower()
    if lowered not in choices:
        raise SettingsError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return lowered


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    environment: str = "production"
    database_url: str = "sqlite+aiosqlite:///./hospital.sqlite3"
    secret_key: str = ""
    jwt_issuer: str = "hospital"
    access_token_lifetime: int = 15 * 60
    refresh_token_lifetime: int = 7 * 24 * 3600
    rotate_refresh_tokens: bool = False
    media_root: Path = Path("media")
    media_url: str = "/media/"
    max_upload_bytes: int = 5 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    max_body_bytes: int = 10 * 1024 * 1024
    rate_limit_auth: RateLimit = field(default_factory=lambda: RateLimit(20, 60))
    rate_limit_anon: RateLimit = field(default_factory=lambda: RateLimit(200, 60))
    rate_limit_user: RateLimit = field(default_factory=lambda: RateLimit(2000, 60))
    redis_url: str = ""
    trusted_proxies: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    # One 19 MiB argon2 hash at a time per worker keeps a worker within its memory budget (docs/benchmarks.md);
    # logins scale with workers, one per core.
    password_hash_concurrency: int = 1
    db_pool_size: int = 10
    response_cache_bytes: int = 8 * 1024 * 1024
    # The IANA zone a doctor's schedule is in until the doctor sets one (SCHEDULING.md section 1).
    default_timezone: str = "UTC"
    # Audit events of reads: "batched" (written every 100 ms or 500 events, and at shutdown), "sync"
    # (written before the read answers), "off" (not recorded). Changes are always audited in their
    # own transaction, refusals and authentication events always recorded (docs/audit.md).
    audit_reads: str = "batched"
    # How long `hospital audit prune` keeps audit events (six years, HIPAA's retention).
    audit_retention_days: int = 2190

    @property
    def is_development(self) -> bool:
        return self.environment in {"development", "test"}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, needs_secret: bool = True) -> Settings:
        """The settings of HOSPITAL_* variables; SettingsError names the first bad one.

        ``needs_secret=False`` is for commands that sign no token (`hospital migrate`): the secret
        is neither required nor generated.
        """
        env = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            return env.get(f"HOSPITAL_{name}", default)

        environment = get("ENV", "production").strip().lower()
        if environment not in {"production", "development", "test"}:
            raise SettingsError(f"HOSPITAL_ENV: expected production, development or test, got {environment!r}")
        defaults = cls()
        settings = cls(
            environment=environment,
            database_url=get("DATABASE_URL", defaults.database_url),
            secret_key=get("SECRET_KEY"),
            jwt_issuer=get("JWT_ISSUER", defaults.jwt_issuer),
            access_token_lifetime=_int(get("ACCESS_TOKEN_LIFETIME", "900"), "HOSPITAL_ACCESS_TOKEN_LIFETIME", 1),
            refresh_token_lifetime=_int(
                get("REFRESH_TOKEN_LIFETIME", "604800"), "HOSPITAL_REFRESH_TOKEN_LIFETIME", 1
            ),
            rotate_refresh_tokens=_bool(get("ROTATE_REFRESH_TOKENS", "false"), "HOSPITAL_ROTATE_REFRESH_TOKENS"),
            media_root=Path(get("MEDIA_ROOT", "media")),
            media_url=get("MEDIA_URL", "/media/"),
            max_upload_bytes=_int(get("MAX_UPLOAD_BYTES", str(defaults.max_upload_bytes)),
                                  "HOSPITAL_MAX_UPLOAD_BYTES", 1),
            max_image_pixels=_int(get("MAX_IMAGE_PIXELS", str(defaults.max_image_pixels)),
                                  "HOSPITAL_MAX_IMAGE_PIXELS", 1),
            max_body_bytes=_int(get("MAX_BODY_BYTES", str(defaults.max_body_bytes)), "HOSPITAL_MAX_BODY_BYTES", 1),
            rate_limit_auth=RateLimit.parse(get("RATE_LIMIT_AUTH", "20/minute"), "HOSPITAL_RATE_LIMIT_AUTH"),
            rate_limit_anon=RateLimit.parse(get("RATE_LIMIT_ANON", "200/minute"), "HOSPITAL_RATE_LIMIT_ANON"),
            rate_limit_user=RateLimit.parse(get("RATE_LIMIT_USER", "2000/minute"), "HOSPITAL_RATE_LIMIT_USER"),
            redis_url=get("REDIS_URL"),
            trusted_proxies=_list(get("TRUSTED_PROXIES")),
            cors_origins=_list(get("CORS_ORIGINS")),
            log_level=get("LOG_LEVEL", "INFO").upper(),
            password_hash_concurrency=_int(get("PASSWORD_HASH_CONCURRENCY", str(defaults.password_hash_concurrency)),
                                           "HOSPITAL_PASSWORD_HASH_CONCURRENCY", 1),
            db_pool_size=_int(get("DB_POOL_SIZE", "10"), "HOSPITAL_DB_POOL_SIZE", 1),
            response_cache_bytes=_int(get("RESPONSE_CACHE_BYTES", str(defaults.response_cache_bytes)),
                                      "HOSPITAL_RESPONSE_CACHE_BYTES", 0),
            default_timezone=_zone(get("DEFAULT_TIMEZONE", defaults.default_timezone)),
            audit_reads=_choice(get("AUDIT_READS", defaults.audit_reads), "HOSPITAL_AUDIT_READS", AUDIT_READS),
            audit_retention_days=_int(get("AUDIT_RETENTION_DAYS", str(defaults.audit_retention_days)),
                                      "HOSPITAL_AUDIT_RETENTION_DAYS", 1),
        )
        return settings.checked(needs_secret=needs_secret)

    def checked(self, *, needs_secret: bool = True) -> Settings:
        """Refuse settings that are unsafe outside development; fill in a development secret."""
        if not needs_secret:
            return self
        secret = self.secret_key
        if not secret and self.is_development:
            secret = development_secret()
        if len(secret.encode()) < MIN_SECRET_BYTES:
            if not self.is_development:
                raise SettingsError(
                    f"HOSPITAL_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes (got "
                    f"{len(secret.encode())}). Generate one with: python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'. For local development set HOSPITAL_ENV=development."
                )
            secret = development_secret()
        if "*" in self.cors_origins and not self.is_development:
            raise SettingsError(
                "HOSPITAL_CORS_ORIGINS='*' is refused in production: tokens are sent with requests, "
                "so list the allowed origins explicitly."
            )
        if secret == self.secret_key:
            return self
        from dataclasses import replace

        return replace(self, secret_key=secret)


def development_secret(path: Path = Path(".hospital-dev-secret")) -> str:
    """A development key that stays the same across restarts of the same checkout."""
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        existing = ""
    if len(existing.encode()) >= MIN_SECRET_BYTES:
        return existing
    secret = secrets.token_urlsafe(48)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret
